# A two-endpoint rig for upstream and external-connection tests. The "remote" endpoint serves its own store (domain
# 'public', repository 'registry') and plays a public registry. The local store has the chain
# app -> team -> store, where 'store' holds the external connection 'public:<format>' to the remote repository's URL
# (with a token of the remote domain as its credential). Each format's test publishes what it needs on either side.

function Use-Store {
    <# Runs $Script with $env:PSCODEARTIFACT_STORE pointing at $Path, then restores it. #>
    param([Parameter(Mandatory)][string] $Path, [Parameter(Mandatory)][scriptblock] $Script)
    $saved = $env:PSCODEARTIFACT_STORE
    $env:PSCODEARTIFACT_STORE = $Path
    try { & $Script } finally { $env:PSCODEARTIFACT_STORE = $saved }
}

function New-UpstreamRig {
    <#
        Builds both stores and starts both endpoints. Leaves $env:PSCODEARTIFACT_STORE on the local store, so plain cmdlets
        act on it; use Use-Store $rig.RemoteStore { ... } for the remote one. Returns the rig (a hashtable).
        -MetadataTtl sets the external connection's TTL (default: the connection default of 5 minutes).
    #>
    param(
        [Parameter(Mandatory)][ValidateSet('npm', 'pypi', 'maven', 'nuget')][string] $Format,
        [TimeSpan] $MetadataTtl
    )
    $rig = @{ Format = $Format; Domain = 'corp'; RemoteDomain = 'public'; RemoteRepository = 'registry'; Connection = "public:$Format" }
    $rig.RemoteStore = New-TestStore -NoSwitch
    Use-Store $rig.RemoteStore {
        New-CaDomain -Name $rig.RemoteDomain | Out-Null
        New-CaRepository -Domain $rig.RemoteDomain -Name $rig.RemoteRepository | Out-Null
        $rig.RemoteEndpoint = Start-CaEndpoint -Port 0
        $rig.RemoteToken = (Get-CaAuthorizationToken -Domain $rig.RemoteDomain).AuthorizationToken
        $rig.RemoteUrl = Get-CaRepositoryEndpoint -Domain $rig.RemoteDomain -Repository $rig.RemoteRepository -Format $Format -Endpoint $rig.RemoteEndpoint
    }
    $rig.RemotePort = $rig.RemoteEndpoint.Port
    # NuGet clients start at the service index; the others at the repository root.
    $rig.ConnectionUri = if ($Format -eq 'nuget') { "$($rig.RemoteUrl)v3/index.json" } else { $rig.RemoteUrl }

    $rig.Store = New-TestStore
    New-CaDomain -Name $rig.Domain | Out-Null
    New-CaRepository -Domain $rig.Domain -Name 'store' | Out-Null
    New-CaRepository -Domain $rig.Domain -Name 'team' -Upstream 'store' | Out-Null
    New-CaRepository -Domain $rig.Domain -Name 'app' -Upstream 'team' | Out-Null
    $credential = [pscredential]::new('aws', (ConvertTo-SecureString $rig.RemoteToken -AsPlainText -Force))
    $connection = @{ Domain = $rig.Domain; Name = $rig.Connection; Format = $Format; Uri = $rig.ConnectionUri; Credential = $credential }
    if ($PSBoundParameters.ContainsKey('MetadataTtl')) { $connection.MetadataTtl = $MetadataTtl }
    New-CaExternalConnection @connection | Out-Null
    Connect-CaExternalConnection -Domain $rig.Domain -Repository 'store' -Name $rig.Connection | Out-Null
    $rig.Endpoint = Start-CaEndpoint -Port 0
    $rig.Token = (Get-CaAuthorizationToken -Domain $rig.Domain).AuthorizationToken
    foreach ($repository in 'app', 'team', 'store') {
        $rig["$($repository)Url"] = Get-CaRepositoryEndpoint -Domain $rig.Domain -Repository $repository -Format $Format -Endpoint $rig.Endpoint
    }
    $rig
}

function Stop-RemoteEndpoint {
    <# Stops the remote endpoint: the external connection's remote is down until Start-RemoteEndpoint. #>
    param([Parameter(Mandatory)][hashtable] $Rig)
    Stop-CaEndpoint -Endpoint $Rig.RemoteEndpoint
}

function Start-RemoteEndpoint {
    <# Starts the remote endpoint again on the same port, so the external connection's URL works again. #>
    param([Parameter(Mandatory)][hashtable] $Rig)
    Use-Store $Rig.RemoteStore { $Rig.RemoteEndpoint = Start-CaEndpoint -Port $Rig.RemotePort }
}

function Get-RemoteRequestCount {
    <# How many requests the remote endpoint has received since it (re)started. #>
    param([Parameter(Mandatory)][hashtable] $Rig)
    (Get-CaEndpoint | Where-Object Port -EQ $Rig.RemotePort).RequestCount
}

function Remove-UpstreamRig {
    param([hashtable] $Rig)
    if (-not $Rig) { return }
    foreach ($endpoint in $Rig.Endpoint, $Rig.RemoteEndpoint) {
        if ($endpoint -and $endpoint.IsRunning) { Stop-CaEndpoint -Endpoint $endpoint }
    }
    Remove-TestStore -Path $Rig.RemoteStore
    # The local store is the one New-TestStore switched to: removing it restores the variable.
    Remove-TestStore
}

Export-ModuleMember -Function Use-Store, New-UpstreamRig, Stop-RemoteEndpoint, Start-RemoteEndpoint, Get-RemoteRequestCount, Remove-UpstreamRig
