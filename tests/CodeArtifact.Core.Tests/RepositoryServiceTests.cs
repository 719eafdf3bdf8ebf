using PSCodeArtifact.Core;

namespace CodeArtifact.Core.Tests;

public sealed class RepositoryServiceTests : IDisposable
{
    private readonly TempStore _temp = new();

    private CaStore Store => _temp.Store;

    public void Dispose() => _temp.Dispose();

    private void Repo(string name, params string[] upstreams) =>
        Assert.True(Store.Repositories.Create("dd", name, upstreams: upstreams).Succeeded, name);

    [Fact]
    public void SearchOrder_IsDepthFirstInConfiguredOrder()
    {
        // The user guide's example: my_repo -> [A -> [C, D -> [E]], B] searches my_repo, A, C, D, E, B (names doubled: two characters at least).
        Assert.True(Store.Domains.Create("dd").Succeeded);
        Repo("re");
        Repo("rc");
        Repo("rd", "re");
        Repo("rb");
        Repo("ra", "rc", "rd");
        Repo("my_repo", "ra", "rb");

        Assert.Equal(["my_repo", "ra", "rc", "rd", "re", "rb"], Store.Repositories.ResolveSearchOrder("dd", "my_repo").Value!);
    }

    [Fact]
    public void SearchOrder_VisitsEachRepositoryOnce_AndAtMost25()
    {
        Assert.True(Store.Domains.Create("dd").Succeeded);
        // A diamond: both branches reach "shared"; it is searched once, in its first position.
        Repo("shared");
        Repo("left", "shared");
        Repo("right", "shared");
        Repo("top", "left", "right");
        Assert.Equal(["top", "left", "shared", "right"], Store.Repositories.ResolveSearchOrder("dd", "top").Value!);

        // A chain of 30: only the first 25 are searched.
        Repo("c-30");
        for (var i = 29; i >= 1; i--) Repo($"c-{i:00}", i == 29 ? "c-30" : $"c-{i + 1:00}");
        var order = Store.Repositories.ResolveSearchOrder("dd", "c-01").Value!;
        Assert.Equal(25, order.Count);
        Assert.Equal("c-01", order[0]);
        Assert.Equal("c-25", order[24]);
    }

    [Fact]
    public void Update_ThatWouldCloseACycle_IsRefusedWithThePath()
    {
        Assert.True(Store.Domains.Create("dd").Succeeded);
        Repo("rc");
        Repo("rb", "rc");
        Repo("ra", "rb");

        var refused = Store.Repositories.Update("dd", "rc", null, ["ra"]);

        Assert.Equal(ErrorCodes.UpstreamCycle, refused.Failure!.Code);
        Assert.Contains("rc -> ra -> rb -> rc", refused.Failure.Message);
        Assert.Empty(Store.Repositories.Get("dd", "rc").Value!.Upstreams);
    }

    [Fact]
    public void Names_AreUniqueRegardlessOfCase_ButKeepTheirSpelling()
    {
        Assert.True(Store.Domains.Create("dd").Succeeded);
        Repo("MyRepo");

        Assert.Equal(ErrorCodes.RepositoryAlreadyExists, Store.Repositories.Create("dd", "myrepo").Failure!.Code);
        Assert.Equal("MyRepo", Store.Repositories.Get("dd", "MYREPO").Value!.Name);
    }

    [Fact]
    public void RemoveWithForce_TakesTheRepositoryOutOfDownstreamLists_KeepingTheOrder()
    {
        Assert.True(Store.Domains.Create("dd").Succeeded);
        Repo("rx");
        Repo("ry");
        Repo("rz");
        Repo("down", "rx", "ry", "rz");

        Assert.Equal(ErrorCodes.RepositoryIsUpstream, Store.Repositories.Remove("dd", "ry", force: false).Failure!.Code);
        Assert.True(Store.Repositories.Remove("dd", "ry", force: true).Succeeded);

        Assert.Equal(["rx", "rz"], Store.Repositories.Get("dd", "down").Value!.Upstreams);
    }
}
