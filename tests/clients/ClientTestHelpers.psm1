<#
    Helpers shared by the real-client tests: run a native client with its output captured, send one raw HTTP request,
    and compute a digest.
#>

Set-StrictMode -Version Latest

function Invoke-Client {
    <#
        Runs a native client (`Invoke-Client mvn -B ...`: a simple function, so dashed arguments pass through) and returns
        its exit code and its output (stdout and stderr interleaved) as one string, for `Should -Be 0 -Because $result.Output`.
    #>
    $filePath = [string] $args[0]
    $arguments = @($args | Select-Object -Skip 1 | ForEach-Object { [string] $_ })
    $output = & $filePath @arguments 2>&1 | ForEach-Object { "$_" } | Out-String
    [pscustomobject]@{
        ExitCode = $LASTEXITCODE
        # Tokens are throwaway, but still kept out of logs.
        Output   = ("> $filePath $($arguments -join ' ')`n$output" -replace 'pca1\.[A-Za-z0-9_.-]+', 'pca1.***')
    }
}

function Get-Digest {
    <# A lower-case hex digest (MD5, SHA1, SHA256, SHA512) of a file or of bytes. #>
    param(
        [Parameter(Mandatory, ParameterSetName = 'Path')][string] $Path,
        [Parameter(Mandatory, ParameterSetName = 'Bytes')][AllowEmptyCollection()][byte[]] $Bytes,
        [ValidateSet('MD5', 'SHA1', 'SHA256', 'SHA512')][string] $Algorithm = 'SHA256'
    )
    if ($Path) { $Bytes = [IO.File]::ReadAllBytes($Path) }
    $hash = switch ($Algorithm) {
        'MD5' { [Security.Cryptography.MD5]::HashData($Bytes) }
        'SHA1' { [Security.Cryptography.SHA1]::HashData($Bytes) }
        'SHA256' { [Security.Cryptography.SHA256]::HashData($Bytes) }
        'SHA512' { [Security.Cryptography.SHA512]::HashData($Bytes) }
    }
    [Convert]::ToHexString($hash).ToLowerInvariant()
}

function Invoke-RawHttp {
    <#
        One HTTP request without redirects or default headers, with the token as Basic auth unless none is given. The
        path is sent exactly as written (no normalisation of '..' or escapes). -Body sends bytes, -Content any HttpContent
        (a multipart upload), -Headers extra request headers. Returns the status, the reason phrase, all headers
        (response and content) by name, and the body as bytes and text.
    #>
    param(
        [Parameter(Mandatory)][string] $Uri,
        [string] $Method = 'GET',
        [hashtable] $Headers = @{},
        [string] $Token,
        [byte[]] $Body,
        [System.Net.Http.HttpContent] $Content
    )
    $handler = [System.Net.Http.SocketsHttpHandler]::new()
    $handler.AllowAutoRedirect = $false
    $handler.AutomaticDecompression = [System.Net.DecompressionMethods]::None
    $client = [System.Net.Http.HttpClient]::new($handler)
    try {
        $options = [UriCreationOptions]::new()
        $options.DangerousDisablePathAndQueryCanonicalization = $true
        $request = [System.Net.Http.HttpRequestMessage]::new([System.Net.Http.HttpMethod]::new($Method), [Uri]::new($Uri, [ref] $options))
        if ($Token) {
            $basic = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes("aws:$Token"))
            $request.Headers.Authorization = [System.Net.Http.Headers.AuthenticationHeaderValue]::new('Basic', $basic)
        }
        foreach ($name in $Headers.Keys) { [void] $request.Headers.TryAddWithoutValidation($name, [string] $Headers[$name]) }
        if ($PSBoundParameters.ContainsKey('Body')) { $request.Content = [System.Net.Http.ByteArrayContent]::new([byte[]] @($Body)) }
        if ($Content) { $request.Content = $Content }
        $response = $client.SendAsync($request).GetAwaiter().GetResult()
        $bytes = $response.Content.ReadAsByteArrayAsync().GetAwaiter().GetResult()
        $all = [Collections.Generic.Dictionary[string, string]]::new([StringComparer]::OrdinalIgnoreCase)
        foreach ($header in @($response.Headers) + @($response.Content.Headers)) { $all[$header.Key] = $header.Value -join ', ' }
        [pscustomobject]@{
            StatusCode = [int] $response.StatusCode
            Reason     = $response.ReasonPhrase
            Headers    = $all
            Bytes      = $bytes
            Text       = [Text.Encoding]::UTF8.GetString($bytes)
        }
    }
    finally { $client.Dispose() }
}


Export-ModuleMember -Function Invoke-Client, Get-Digest, Invoke-RawHttp
