using KvCluster.KvServer.Tests.Infra;

namespace KvCluster.KvServer.Tests;

/// <summary>
/// The same etcdctl 3.4 commands against a real etcd 3.4.23 and against kvserver, both fresh: outputs
/// (-w json where etcdctl has it), exit codes and error lines must match, apart from cluster and
/// member ids and the raft term.
/// </summary>
public sealed class DifferentialTests
{
    // One script, run in order on both servers; revisions stay aligned because both start empty.
    private static readonly string[] Script =
    [
        "put a 1 -w json",
        "put b 2 -w json",
        "put c 3 -w json",
        "put a 11 --prev-kv -w json",
        "put foo/x X -w json",
        "put foo/y Y -w json",
        "put foo0 Z -w json",
        "get a -w json",
        "get a",
        "get missing -w json",
        "get a c -w json",
        "get foo --prefix -w json",
        "get foo --prefix --keys-only",
        "get foo --prefix --print-value-only",
        "get '' --from-key -w json",
        "get '' --from-key --limit 2 -w json",
        "get a --rev 1 -w json",
        "get a --rev 2 -w json",
        "get a --rev 100 -w json",
        "get '' --from-key --sort-by=MODIFY --order=DESCEND -w json",
        "get '' --from-key --sort-by=VALUE --order=ASCEND --keys-only",
        "get '' --from-key --sort-by=CREATE --order=DESCEND --keys-only",
        "get '' --from-key --sort-by=VERSION --order=DESCEND --keys-only",
        "get '' --from-key --count-only -w json",
        "put k1 v --ignore-value",
        "put a --ignore-value -w json",
        "put a v --ignore-lease",
        "del missing -w json",
        "del foo --prefix --prev-kv -w json",
        "del a -w json",
        "get '' --from-key -w json",
        "compaction 3",
        "get b --rev 2 -w json",
        "compaction 2",
        "compaction 1000",
        "put '' v",
        "get ''",
    ];

    [Fact]
    public async Task EtcdctlOutputsMatchEtcd()
    {
        Assert.True(EtcdProcess.Available && Etcdctl.Available, "etcd and etcdctl 3.4.23 must be installed (scripts/test.sh installs them)");
        await using var etcd = new EtcdProcess();
        await using var ours = new KvServerProcess();
        await Task.WhenAll(etcd.StartAsync(), ours.StartAsync());

        var mismatches = new List<string>();
        foreach (var line in Script)
        {
            await Compare(etcd, ours, line, null, mismatches);
        }

        Assert.True(mismatches.Count == 0, string.Join("\n\n", mismatches));
    }

    [Fact]
    public async Task TxnOutputsMatchEtcd()
    {
        await using var etcd = new EtcdProcess();
        await using var ours = new KvServerProcess();
        await Task.WhenAll(etcd.StartAsync(), ours.StartAsync());
        var mismatches = new List<string>();
        await Compare(etcd, ours, "put x 1", null, mismatches);
        // Interactive txn from stdin: compares, blank line, success ops, blank line, failure ops.
        await Compare(etcd, ours, "txn -w json", "value(\"x\") = \"1\"\n\nput x 2\nget x\n\nput x 3\n", mismatches);
        await Compare(etcd, ours, "txn -w json", "value(\"x\") = \"1\"\n\nput x 2\n\nput x 3\nget x\n", mismatches);
        await Compare(etcd, ours, "txn -w json", "mod(\"x\") > \"1\"\nversion(\"x\") = \"3\"\n\ndel x --prev-kv\n\n\n", mismatches);
        await Compare(etcd, ours, "txn -w json", "create(\"nokey\") = \"0\"\n\nput nokey v\nput nokey w\n\n\n", mismatches);
        await Compare(etcd, ours, "txn -w json", "\nput d 1\ndel d\n\n\n", mismatches);
        var tooMany = string.Concat(Enumerable.Range(0, 129).Select(i => $"put t{i} v\n"));
        await Compare(etcd, ours, "txn -w json", "\n" + tooMany + "\n\n", mismatches);
        await Compare(etcd, ours, "txn -w json", "value(\"x\") = \"nope\"\n\n\nput f 1\nget x\n\n", mismatches);
        Assert.True(mismatches.Count == 0, string.Join("\n\n", mismatches));
    }

    [Fact]
    public async Task AuthOutputsMatchEtcd()
    {
        await using var etcd = new EtcdProcess();
        await using var ours = new KvServerProcess();
        await Task.WhenAll(etcd.StartAsync(), ours.StartAsync());
        string[] script =
        [
            "put foo/a 1",
            "put bar 2",
            "auth enable",
            "user add alice:alicepw",
            "user add alice:other",
            "user add root:rootpw",
            "role add reader",
            "role add reader",
            "role grant-permission reader read foo/ --prefix",
            "role grant-permission reader readwrite k1",
            "role grant-permission missing read x",
            "role get reader",
            "user grant-role alice reader",
            "user grant-role alice missing",
            "user get alice",
            "user list",
            "role list",
            "auth enable",
            "get foo/a",
            "--user alice:alicepw get foo/a -w json",
            "--user alice:alicepw get foo/ --prefix -w json",
            "--user alice:alicepw get bar",
            "--user alice:alicepw put foo/b 3",
            "--user alice:alicepw put k1 v",
            "--user alice:wrongpw get foo/a",
            "--user nobody:pw get foo/a",
            "--user alice:alicepw user list",
            "--user alice:alicepw auth disable",
            "--user root:rootpw user list",
            "--user root:rootpw user delete root",
            "--user root:rootpw role revoke-permission reader bar",
            "--user root:rootpw role revoke-permission reader k1",
            "--user root:rootpw user revoke-role alice reader",
            "--user root:rootpw user revoke-role alice reader",
            "--user alice:alicepw get foo/a",
            "--user root:rootpw auth disable",
            "get foo/a -w json",
            "user delete alice",
            "user delete alice",
            "role delete reader",
            "role delete reader",
        ];
        var mismatches = new List<string>();
        foreach (var line in script)
        {
            await Compare(etcd, ours, line, null, mismatches);
        }

        Assert.True(mismatches.Count == 0, string.Join("\n\n", mismatches));
    }

    private static async Task Compare(ServerProcess etcd, ServerProcess ours, string args, string? stdin, List<string> mismatches)
    {
        var a = await Etcdctl.RunAsync(etcd, args, stdin);
        var b = await Etcdctl.RunAsync(ours, args, stdin);
        string Show(Processes.Result r) => $"exit {r.ExitCode}\n{JsonNormalizer.Normalize(r.Stdout)}\n{JsonNormalizer.Errors(r.Stderr)}";
        if (Show(a) != Show(b))
        {
            mismatches.Add($"etcdctl {args}\n--- etcd:\n{Show(a)}\n--- kvserver:\n{Show(b)}");
        }
    }
}
