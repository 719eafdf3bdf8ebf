<#
    Helpers for driving the real dotnet CLI and PSResourceGet against a PSCodeArtifact NuGet endpoint.

    A sandbox is a folder with a nuget.config that names only the endpoint (<clear/> drops every other source) with the
    token as the feed credential. Every dotnet call gets its own empty NuGet package and HTTP caches unless told
    otherwise, no build servers (nothing outlives the call), and no telemetry or first-run banners. Projects written
    here stop MSBuild's search for Directory.Build.props/Directory.Packages.props above the sandbox.
#>

Set-StrictMode -Version Latest

function New-NugetSandbox {
    <# Creates $Folder with a nuget.config whose only source, 'ca', is $Source (a v3/index.json URL) with $Token as its password. #>
    param(
        [Parameter(Mandatory)][string] $Folder,
        [Parameter(Mandatory)][string] $Source,
        [Parameter(Mandatory)][string] $Token
    )
    New-Item -ItemType Directory -Path $Folder -Force | Out-Null
    $config = Join-Path $Folder 'nuget.config'
    $escapedSource = [Security.SecurityElement]::Escape($Source)
    $escapedToken = [Security.SecurityElement]::Escape($Token)
    Set-Content -Path $config -Value @"
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="ca" value="$escapedSource" allowInsecureConnections="true" />
  </packageSources>
  <packageSourceCredentials>
    <ca>
      <add key="Username" value="aws" />
      <add key="ClearTextPassword" value="$escapedToken" />
    </ca>
  </packageSourceCredentials>
</configuration>
"@
    # Empty MSBuild files here end MSBuild's upward search, so nothing above the sandbox shapes its projects.
    foreach ($name in 'Directory.Build.props', 'Directory.Build.targets', 'Directory.Packages.props') {
        Set-Content -Path (Join-Path $Folder $name) -Value '<Project />'
    }
    [pscustomobject]@{ Folder = $Folder; Config = $config; Source = $Source; SourceName = 'ca' }
}

function Invoke-Dotnet {
    <#
        Runs dotnet in $WorkingDirectory (default: the sandbox folder, whose nuget.config dotnet then reads) with
        NUGET_PACKAGES and NUGET_HTTP_CACHE_PATH pointed at $Packages and $HttpCache (new empty folders when not given).
        Returns ExitCode, Output (stdout and stderr), Packages and HttpCache. Throws with dotnet's output when it fails,
        unless -AllowFailure.
    #>
    param(
        [Parameter(Mandatory)] $Sandbox,
        [Parameter(Mandatory)][string[]] $Arguments,
        [string] $WorkingDirectory,
        [string] $Packages,
        [string] $HttpCache,
        [switch] $AllowFailure
    )
    $run = [guid]::NewGuid().ToString('N')
    if (-not $Packages) { $Packages = Join-Path $Sandbox.Folder "packages-$run" }
    if (-not $HttpCache) { $HttpCache = Join-Path $Sandbox.Folder "http-cache-$run" }
    $variables = @{
        NUGET_PACKAGES                    = $Packages
        NUGET_HTTP_CACHE_PATH             = $HttpCache
        DOTNET_CLI_TELEMETRY_OPTOUT       = '1'
        DOTNET_NOLOGO                     = '1'
        DOTNET_SKIP_FIRST_TIME_EXPERIENCE = '1'
        DOTNET_CLI_WORKLOAD_UPDATE_NOTIFY_DISABLE = '1'
        # The API key comes from the command line only.
        NUGET_API_KEY                     = $null
    }
    $saved = @{}
    foreach ($name in $variables.Keys) { $saved[$name] = [Environment]::GetEnvironmentVariable($name) }
    Push-Location ($WorkingDirectory ? $WorkingDirectory : $Sandbox.Folder)
    try {
        foreach ($name in $variables.Keys) { [Environment]::SetEnvironmentVariable($name, $variables[$name]) }
        $output = & dotnet @Arguments 2>&1 | ForEach-Object { "$_" } | Out-String
        $exitCode = $LASTEXITCODE
    }
    finally {
        foreach ($name in $saved.Keys) { [Environment]::SetEnvironmentVariable($name, $saved[$name]) }
        Pop-Location
    }
    if ($exitCode -ne 0 -and -not $AllowFailure) {
        throw "dotnet $($Arguments -join ' ') failed with exit code ${exitCode}:`n$output"
    }
    [pscustomobject]@{ ExitCode = $exitCode; Output = $output; Packages = $Packages; HttpCache = $HttpCache }
}

function New-DotnetProject {
    <#
        Writes a net10.0 project into a new folder: a library that packs as $Id $Version (with $Description and $Tags),
        or with -Console a console app. $References are PackageReferences (id = version); $Code is its one source file.
    #>
    param(
        [Parameter(Mandatory)][string] $Folder,
        [Parameter(Mandatory)][string] $Id,
        [string] $Version = '1.0.0',
        [hashtable] $References = @{},
        [Parameter(Mandatory)][string] $Code,
        [string] $Description = "The $Id test package.",
        [string[]] $Tags = @(),
        [switch] $Console
    )
    New-Item -ItemType Directory -Path $Folder -Force | Out-Null
    $items = foreach ($reference in $References.GetEnumerator()) { "    <PackageReference Include=""$($reference.Key)"" Version=""$($reference.Value)"" />" }
    $properties = if ($Console) { '    <OutputType>Exe</OutputType>' } else {
        @(
            "    <PackageId>$Id</PackageId>"
            "    <Version>$Version</Version>"
            '    <Authors>PSCodeArtifact tests</Authors>'
            "    <Description>$([Security.SecurityElement]::Escape($Description))</Description>"
            "    <PackageTags>$($Tags -join ';')</PackageTags>"
            '    <PackageLicenseExpression>MIT</PackageLicenseExpression>'
        ) -join "`n"
    }
    Set-Content -Path (Join-Path $Folder "$Id.csproj") -Value @"
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
    <AssemblyName>$Id</AssemblyName>
    <RootNamespace>$Id</RootNamespace>
    <Nullable>enable</Nullable>
$properties
  </PropertyGroup>
  <ItemGroup>
$($items -join "`n")
  </ItemGroup>
</Project>
"@
    Set-Content -Path (Join-Path $Folder 'Code.cs') -Value $Code
    Join-Path $Folder "$Id.csproj"
}

function Get-ChildPwshCommand {
    <#
        How to start another pwsh like this one, independent of HOME: this process's pwsh when it is one, else the pwsh.dll
        of $PSHOME run by this process's dotnet host (`dotnet pwsh` resolves its tool through HOME, which children may move).
    #>
    $processPath = [Environment]::ProcessPath
    if ($processPath -and [IO.Path]::GetFileNameWithoutExtension($processPath) -eq 'pwsh') { return @($processPath) }
    $dll = Join-Path $PSHOME 'pwsh.dll'
    if (-not (Test-Path $dll)) { throw "Cannot find pwsh.dll under $PSHOME to start a child pwsh." }
    @($processPath, $dll)
}

function Invoke-ChildPwsh {
    <#
        Runs $ScriptPath in a new pwsh with $ArgumentList and $Environment (a null value removes a variable), waits up to
        $TimeoutSeconds (then kills it and throws) and returns ExitCode, Output and ErrorOutput.
    #>
    param(
        [Parameter(Mandatory)][string] $ScriptPath,
        [string[]] $ArgumentList = @(),
        [hashtable] $Environment = @{},
        [int] $TimeoutSeconds = 120
    )
    $command = @(Get-ChildPwshCommand)
    $info = [Diagnostics.ProcessStartInfo]::new($command[0])
    foreach ($argument in @($command | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', $ScriptPath) + $ArgumentList) {
        $info.ArgumentList.Add($argument)
    }
    $info.WorkingDirectory = Split-Path $ScriptPath
    $info.UseShellExecute = $false
    $info.RedirectStandardOutput = $true
    $info.RedirectStandardError = $true
    foreach ($entry in $Environment.GetEnumerator()) {
        if ($null -eq $entry.Value) { [void] $info.Environment.Remove($entry.Key) } else { $info.Environment[$entry.Key] = [string] $entry.Value }
    }
    $process = [Diagnostics.Process]::Start($info)
    try {
        # Read both streams asynchronously, so a chatty child never blocks on a full pipe.
        $stdout = $process.StandardOutput.ReadToEndAsync()
        $stderr = $process.StandardError.ReadToEndAsync()
        if (-not $process.WaitForExit($TimeoutSeconds * 1000)) {
            try { $process.Kill($true) } catch { }
            throw "The child pwsh ($ScriptPath) did not finish within $TimeoutSeconds s and was killed."
        }
        $process.WaitForExit()
        [pscustomobject]@{
            ExitCode    = $process.ExitCode
            Output      = $stdout.GetAwaiter().GetResult()
            ErrorOutput = $stderr.GetAwaiter().GetResult()
        }
    }
    finally { $process.Dispose() }
}

function Get-FileSha256 {
    <# The lower-case hexadecimal SHA-256 of a file. #>
    param([Parameter(Mandatory)][string] $Path)
    (Get-FileHash -Path $Path -Algorithm SHA256).Hash.ToLowerInvariant()
}

function New-TestNupkg {
    <#
        Writes a minimal nupkg (a nuspec with $Description and $Dependencies, id = range, plus one content file holding
        $Content) to $Path and returns the path. Quicker than dotnet pack for packages a test only restores or pushes.
    #>
    param(
        [Parameter(Mandatory)][string] $Path,
        [Parameter(Mandatory)][string] $Id,
        [Parameter(Mandatory)][string] $Version,
        [string] $Description = "The $Id test package.",
        [hashtable] $Dependencies = @{},
        [string] $Content = "$Id $Version"
    )
    $dependencyXml = if ($Dependencies.Count -eq 0) { '' } else {
        $items = foreach ($dependency in $Dependencies.GetEnumerator()) { "<dependency id=""$($dependency.Key)"" version=""$($dependency.Value)"" />" }
        "<dependencies><group>$($items -join '')</group></dependencies>"
    }
    $nuspec = @"
<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata>
    <id>$Id</id>
    <version>$Version</version>
    <authors>PSCodeArtifact tests</authors>
    <description>$([Security.SecurityElement]::Escape($Description))</description>
    $dependencyXml
  </metadata>
</package>
"@
    New-Item -ItemType Directory -Path (Split-Path $Path) -Force | Out-Null
    $stream = [IO.File]::Create($Path)
    try {
        $zip = [IO.Compression.ZipArchive]::new($stream, [IO.Compression.ZipArchiveMode]::Create)
        try {
            foreach ($entry in @(@{ Name = "$Id.nuspec"; Text = $nuspec }, @{ Name = 'content/readme.txt'; Text = $Content })) {
                $writer = [IO.StreamWriter]::new($zip.CreateEntry($entry.Name).Open())
                try { $writer.Write($entry.Text) } finally { $writer.Dispose() }
            }
        }
        finally { $zip.Dispose() }
    }
    finally { $stream.Dispose() }
    $Path
}

Export-ModuleMember -Function New-NugetSandbox, Invoke-Dotnet, New-DotnetProject, Get-ChildPwshCommand, Invoke-ChildPwsh, Get-FileSha256, New-TestNupkg
