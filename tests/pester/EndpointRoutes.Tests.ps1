#Requires -Version 7.6
<#
    Every route of the endpoint is behind the token check. The routes are read from the running endpoint itself (its
    EndpointDataSource), not from a hand-written list, so routes added later are covered without touching this file:
    each (route, HTTP method) but GET/HEAD /health is sent anonymously with sample route values and must get 401 with
    the Basic challenge; a forged token must get 401 and a token of another domain 403. An unknown path challenges a
    missing or forged token with 401 as well, and answers a valid token with a JSON 404.
#>

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-TestModule

    # The routes as the endpoint maps them, read from a throwaway endpoint.
    $store = New-TestStore
    try {
        $endpoint = Start-CaEndpoint
        try {
            $flags = [Reflection.BindingFlags]'NonPublic, Instance'
            $caEndpoint = $endpoint.GetType().GetProperty('Endpoint', $flags).GetValue($endpoint)
            $app = $caEndpoint.GetType().GetField('_app', $flags).GetValue($caEndpoint)
            $seen = [Collections.Generic.HashSet[string]]::new()
            $script:RouteCases = @(
                foreach ($route in $app.Services.GetService([Microsoft.AspNetCore.Routing.EndpointDataSource]).Endpoints) {
                    if ($route -isnot [Microsoft.AspNetCore.Routing.RouteEndpoint]) { continue }
                    $methods = @($route.Metadata | Where-Object { $_ -is [Microsoft.AspNetCore.Routing.HttpMethodMetadata] } | Select-Object -Last 1 | ForEach-Object HttpMethods)
                    # A route without method metadata (the fallback) answers every method.
                    if (-not $methods) { $methods = 'GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE' }
                    foreach ($method in $methods) {
                        $pattern = $route.RoutePattern.RawText
                        if ($pattern.TrimStart('/') -eq 'health' -and $method -in 'GET', 'HEAD') { continue }
                        # Routes of one pattern split by method (or a catch-all per method) are one case per method.
                        if (-not $seen.Add("$method $pattern")) { continue }
                        # The content types a route declares it accepts (a form or JSON body parameter); a request with
                        # another body does not match it (and goes to the fallback), so the request must carry one of them.
                        $accepts = @($route.Metadata | Where-Object { $_ -is [Microsoft.AspNetCore.Http.Metadata.IAcceptsMetadata] } | Select-Object -Last 1)
                        @{
                            Pattern = $pattern; Method = $method; IsFallback = $route.Order -eq [int]::MaxValue
                            HasDomain = $null -ne $route.RoutePattern.GetParameter('domain')
                            Accepts = @(if ($accepts) { $accepts[0].ContentTypes }); BodyOptional = (-not $accepts) -or $accepts[0].IsOptional
                        }
                    }
                }
            )
        }
        finally { $endpoint | Stop-CaEndpoint }
    }
    finally { Remove-TestStore }
    $script:RepositoryRouteCases = @($script:RouteCases | Where-Object { $_.HasDomain -and -not $_.IsFallback })
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-TestModule

    $script:Store = New-TestStore
    New-CaDomain -Name 'demo' | Out-Null
    New-CaDomain -Name 'other' | Out-Null
    New-CaRepository -Domain 'demo' -Name 'main' | Out-Null
    $script:Endpoint = Start-CaEndpoint
    $script:Base = "$($script:Endpoint.Uri)"
    $script:OtherToken = (Get-CaAuthorizationToken -Domain 'other').AuthorizationToken
    # Well formed, but not signed by this store.
    $script:ForgedToken = & {
        $parts = (Get-CaAuthorizationToken -Domain 'demo').AuthorizationToken -split '\.'
        $signature = [Security.Cryptography.HMACSHA256]::HashData([byte[]]::new(32), [Text.Encoding]::ASCII.GetBytes("$($parts[0]).$($parts[1])"))
        $parts[0], $parts[1], [Convert]::ToBase64String($signature).TrimEnd('=').Replace('+', '-').Replace('/', '_') -join '.'
    }

    $flags = [Reflection.BindingFlags]'NonPublic, Instance'
    $caEndpoint = $script:Endpoint.GetType().GetProperty('Endpoint', $flags).GetValue($script:Endpoint)
    $script:Services = $caEndpoint.GetType().GetField('_app', $flags).GetValue($caEndpoint).Services
    $script:Routes = @($script:Services.GetService([Microsoft.AspNetCore.Routing.EndpointDataSource]).Endpoints |
            Where-Object { $_ -is [Microsoft.AspNetCore.Routing.RouteEndpoint] })
    $script:PolicyFactory = $script:Services.GetService([Microsoft.AspNetCore.Routing.ParameterPolicyFactory])

    # Values tried for a route parameter, first one its constraints accept wins.
    $script:SampleValues = 'x', 'pkg', '1', '1.0.0', 'pkg-1.0.0.tgz', 'pkg-1.0.0.tar.gz', 'pkg-1.0.0-py3-none-any.whl', 'pkg.1.0.0.nupkg',
        'pkg-1.0.0.jar', 'pkg-1.0.0.pom', 'index.json', 'simple', '@scope%2fpkg', 'latest'
    $script:CatchAllValues = 'x/y', 'pkg/-/pkg-1.0.0.tgz', 'x/y/1.0.0/y-1.0.0.pom', 'x'

    # Whether every constraint of the parameter accepts the value.
    function Test-ParameterValue($Part, [string] $Value) {
        $values = [Microsoft.AspNetCore.Routing.RouteValueDictionary]::new()
        $values[$Part.Name] = $Value
        foreach ($reference in $Part.ParameterPolicies) {
            # A policy the app cannot create either (a regex constraint under the slim builder) fails the request itself.
            $policy = if ($reference.ParameterPolicy) { $reference.ParameterPolicy } else { try { $script:PolicyFactory.Create($Part, $reference.Content) } catch { $null } }
            if ($policy -is [Microsoft.AspNetCore.Routing.IRouteConstraint] -and
                -not $policy.Match($null, $null, $Part.Name, $values, [Microsoft.AspNetCore.Routing.RouteDirection]::IncomingRequest)) {
                return $false
            }
        }
        $true
    }

    # A request path that the route's pattern and constraints accept: {domain} and {repository} as given, other
    # parameters from the sample values.
    function New-SamplePath([string] $Pattern, [string] $Domain = 'demo', [string] $Repository = 'main') {
        $route = @($script:Routes | Where-Object { $_.RoutePattern.RawText -eq $Pattern })[0]
        $route | Should -Not -BeNullOrEmpty -Because "the route '$Pattern' found at discovery is mapped by this endpoint too"
        $segments = foreach ($segment in $route.RoutePattern.PathSegments) {
            $text = foreach ($part in $segment.Parts) {
                if ($part -isnot [Microsoft.AspNetCore.Routing.Patterns.RoutePatternParameterPart]) { $part.Content; continue }
                $candidates = switch ($part.Name) {
                    'domain' { , @($Domain) }
                    'repository' { , @($Repository) }
                    default { if ($part.IsCatchAll) { , $script:CatchAllValues } else { , $script:SampleValues } }
                }
                $value = $candidates | Where-Object { Test-ParameterValue $part $_ } | Select-Object -First 1
                if ($null -eq $value) { throw "No sample value satisfies the constraints of {$($part.Name)} in '$Pattern': add one to `$SampleValues." }
                $value
            }
            $text -join ''
        }
        $segments -join '/'
    }

    # Sends a request with each kind of body its method may carry: none, JSON, and a multipart form with a file.
    <#
        Sends a request with each kind of body the route may take: for a route that declares the content types it
        accepts, a body of each of them; otherwise (for methods with a body) none, JSON and a multipart form with a file.
    #>
    function Invoke-RouteRequest([string] $Method, [string] $Path, [hashtable] $Headers = @{}, [string[]] $Accepts = @(), [bool] $BodyOptional = $true) {
        $url = "$script:Base$Path"
        $bodies = if ($Accepts) {
            foreach ($type in $Accepts) {
                switch -Regex ($type) {
                    '^multipart/form-data' { 'form' }
                    '^application/x-www-form-urlencoded' { 'urlencoded' }
                    'json' { "json:$type" }
                    default { "raw:$type" }
                }
            }
            if ($BodyOptional) { 'none' }
        }
        elseif ($Method -in 'POST', 'PUT', 'PATCH') { 'none', 'json:application/json', 'form' }
        else { 'none' }
        foreach ($body in @($bodies | Select-Object -Unique)) {
            $arguments = @{ Uri = $url; Method = $Method; Headers = $Headers; SkipHttpErrorCheck = $true; ErrorAction = 'Stop'; MaximumRedirection = 0 }
            switch -Regex ($body) {
                '^json:(.*)' { $arguments.Body = '{"name":"pkg","version":"1.0.0"}'; $arguments.ContentType = $Matches[1] }
                '^raw:(.*)' { $arguments.Body = [byte[]](0x1f, 0x8b, 0x08, 0x00); $arguments.ContentType = $Matches[1] }
                '^urlencoded$' { $arguments.Body = 'name=pkg&version=1.0.0'; $arguments.ContentType = 'application/x-www-form-urlencoded' }
                '^form$' {
                    $file = Join-Path $TestDrive 'pkg-1.0.0.tar.gz'
                    if (-not (Test-Path $file)) { [IO.File]::WriteAllBytes($file, [byte[]](0x1f, 0x8b, 0x08, 0x00)) }
                    $arguments.Form = @{ ':action' = 'file_upload'; name = 'pkg'; version = '1.0.0'; content = Get-Item $file }
                }
            }
            $response = Invoke-WebRequest @arguments
            [pscustomobject]@{ Body = $body; StatusCode = [int] $response.StatusCode; Challenge = "$($response.Headers['WWW-Authenticate'])"; Content = "$($response.Content)" }
        }
    }

    function Assert-Challenged([object[]] $Responses, [string] $What) {
        foreach ($response in $Responses) {
            $because = "$What with body '$($response.Body)' must be challenged, got $($response.StatusCode) $($response.Content)"
            $response.StatusCode | Should -Be 401 -Because $because
            $response.Challenge | Should -BeExactly 'Basic realm="PSCodeArtifact"' -Because $because
        }
    }
}

AfterAll {
    Stop-CaEndpoint
    Remove-TestStore
}

Describe 'Route coverage by the token check' {

    It 'finds the routes of the running endpoint, /health and the fallback among them' -ForEach @(@{ Discovered = @($RouteCases.Pattern | Sort-Object -Unique) }) {
        $patterns = @($script:Routes | ForEach-Object { $_.RoutePattern.RawText })
        $patterns.TrimStart('/') | Should -Contain 'health'
        @($script:Routes | Where-Object Order -EQ ([int]::MaxValue)).Count | Should -Be 1 -Because 'the endpoint has one fallback route'
        @($patterns | Where-Object { $_.TrimStart('/') -ne 'health' } | Sort-Object -Unique) | Should -Be $Discovered -Because 'the test cases cover every route'
    }

    It 'serves GET and HEAD /health anonymously' {
        $get = Invoke-WebRequest -Uri "${script:Base}health" -SkipHttpErrorCheck
        $get.StatusCode | Should -Be 200
        ($get.Content | ConvertFrom-Json).status | Should -BeExactly 'Healthy'
        (Invoke-WebRequest -Uri "${script:Base}health" -Method Head -SkipHttpErrorCheck).StatusCode | Should -Be 200
    }

    It '<Method> <Pattern> challenges an anonymous request with 401' -ForEach $RouteCases {
        $path = New-SamplePath $Pattern
        Assert-Challenged (Invoke-RouteRequest $Method $path -Accepts $Accepts -BodyOptional $BodyOptional) -What "anonymous $Method /$path"
    }

    It '<Method> <Pattern> challenges an anonymous request for a domain that does not exist with 401' -ForEach @($RouteCases | Where-Object HasDomain) -AllowNullOrEmptyForEach {
        $path = New-SamplePath $Pattern -Domain 'nodomain' -Repository 'norepo'
        Assert-Challenged (Invoke-RouteRequest $Method $path -Accepts $Accepts -BodyOptional $BodyOptional) -What "anonymous $Method /$path"
    }

    It '<Method> <Pattern> challenges a token this store did not sign with 401' -ForEach $RepositoryRouteCases -AllowNullOrEmptyForEach {
        $path = New-SamplePath $Pattern
        foreach ($headers in @{ Authorization = "Bearer $script:ForgedToken" }, @{ 'X-NuGet-ApiKey' = $script:ForgedToken }) {
            Assert-Challenged (Invoke-RouteRequest $Method $path -Headers $headers -Accepts $Accepts -BodyOptional $BodyOptional) -What "$Method /$path with a forged token"
        }
    }

    # The fallback answers a valid token of any domain with 404, so these also prove the sample request reached its route.
    It '<Method> <Pattern> refuses a token of another domain with 403' -ForEach $RepositoryRouteCases -AllowNullOrEmptyForEach {
        $path = New-SamplePath $Pattern
        foreach ($response in Invoke-RouteRequest $Method $path -Headers @{ Authorization = "Bearer $script:OtherToken" } -Accepts $Accepts -BodyOptional $BodyOptional) {
            $response.StatusCode | Should -Be 403 -Because "$Method /$path with a token of another domain, body '$($response.Body)': $($response.Content)"
        }
    }

    It 'challenges an anonymous <Method> of the unknown path /<Path> with 401' -ForEach @(
        foreach ($path in '', 'nope', 'a/b/c', 'v1/domains', 'demo', 'demo/npm', 'demo/unknown/main/x', 'nodomain/npm/main/x', 'health/x') {
            foreach ($method in 'GET', 'HEAD', 'POST') { @{ Path = $path; Method = $method } }
        }
    ) {
        Assert-Challenged (Invoke-RouteRequest $Method $Path) -What "anonymous $Method /$Path"
    }

    It 'challenges a <Method> of the unknown path /<Path> with a token this store did not sign with 401' -ForEach @(
        foreach ($path in 'nope', 'a/b/c.json', 'demo/unknown/main/x', 'demo/npm') {
            foreach ($method in 'GET', 'POST') { @{ Path = $path; Method = $method } }
        }
    ) {
        foreach ($headers in @{ Authorization = "Bearer $script:ForgedToken" }, @{ 'X-NuGet-ApiKey' = 'not-a-token' }) {
            Assert-Challenged (Invoke-RouteRequest $Method $Path -Headers $headers) -What "$Method /$Path with a token this store did not sign"
        }
    }

    It 'answers a <Method> of the unknown path /<Path> with a valid token with 404 RouteNotFound in JSON' -ForEach @(
        foreach ($path in 'nope', 'a/b/c.json', 'demo/unknown/main/x', 'demo/npm') {
            foreach ($method in 'GET', 'POST') { @{ Path = $path; Method = $method } }
        }
    ) {
        # Any valid token: an unknown route names no domain to check the token against.
        foreach ($token in (Get-CaAuthorizationToken -Domain 'demo').AuthorizationToken, $script:OtherToken) {
            foreach ($response in Invoke-RouteRequest $Method $Path -Headers @{ Authorization = "Bearer $token" }) {
                $because = "$Method /$Path with a valid token, body '$($response.Body)': $($response.Content)"
                $response.StatusCode | Should -Be 404 -Because $because
                $body = $response.Content | ConvertFrom-Json
                $body.code | Should -BeExactly 'RouteNotFound' -Because $because
                $body.error | Should -Match 'does not exist' -Because $because
            }
        }
    }

    # A client asks for files by name (Maven, NuGet): an unknown path that ends in a file name must be challenged too.
    It 'challenges an anonymous <Method> of the unknown file path /<Path> with 401' -ForEach @(
        foreach ($path in 'a/b/c.json', 'demo/maven/main/org/x/1.0/x-1.0.pom', 'demo/nuget/main/v3/index.json') {
            foreach ($method in 'GET', 'HEAD') { @{ Path = $path; Method = $method } }
        }
    ) {
        Assert-Challenged (Invoke-RouteRequest $Method $Path) -What "anonymous $Method /$Path"
    }
}
