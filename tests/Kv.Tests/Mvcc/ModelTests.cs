using CsCheck;
using KvCluster.Kv.Mvcc;
using static KvCluster.Kv.Tests.Bytes;

namespace KvCluster.Kv.Tests.Mvcc;

/// <summary>
/// Model-based property test: random sequences of put/delete/txn/compact/range/reopen run against the
/// store and against <see cref="HistoryModel"/> (a dictionary per revision: the full history), and
/// every response must match. CsCheck shrinks a failing sequence to a minimal one.
/// </summary>
public sealed class ModelTests
{
    private static readonly string[] Keys = ["a", "b", "c", "d", "e"];

    private static readonly Gen<string> GenKey = Gen.OneOf(Keys);
    private static readonly Gen<string?> GenEnd = Gen.OneOf<string?>(null, null, null, "c", "e", "\0", "zz");

    private static readonly Gen<ModelOp> GenPut = Gen.Select(GenKey, Gen.Int[0, 99], (k, v) => (ModelOp)new PutOp(k, "v" + v));
    private static readonly Gen<ModelOp> GenDel = Gen.Select(GenKey, GenEnd, (k, e) => (ModelOp)new DelOp(k, e));
    private static readonly Gen<ModelOp> GenRange = Gen.Select(GenKey, GenEnd, Gen.Int[0, 6], Gen.Int[0, 3], (k, e, back, limit) => (ModelOp)new RangeOp(k, e, back, limit));
    private static readonly Gen<ModelOp> GenCompact = Gen.Int[0, 5].Select(back => (ModelOp)new CompactOp(back));

    private static readonly Gen<ModelOp> GenTxn =
        Gen.Select(GenKey, Gen.Enum<CompareTarget>(), Gen.Enum<CompareResult>(), Gen.Int[0, 8], Gen.Int[0, 99])
            .SelectMany(c => Gen.Shuffle(Keys, 0, 3).SelectMany(sKeys => Gen.Shuffle(Keys, 0, 2).SelectMany(fKeys =>
                Gen.Bool.Array[sKeys.Length].Select(Gen.Bool.Array[fKeys.Length], (sDel, fDel) =>
                    (ModelOp)new TxnOp(c.Item1, c.Item2, c.Item3, c.Item4, "v" + c.Item5,
                        [.. sKeys.Select((k, i) => sDel[i] ? (ModelOp)new DelOp(k, null) : new PutOp(k, "t" + i))],
                        [.. fKeys.Select((k, i) => fDel[i] ? (ModelOp)new DelOp(k, null) : new PutOp(k, "f" + i))])))));

    private static readonly Gen<ModelOp> GenOp = Gen.Frequency(
        (6, GenPut), (2, GenDel), (3, GenTxn), (5, GenRange), (1, GenCompact), (1, Gen.Const((ModelOp)new ReopenOp())));

    [Fact]
    public void StoreMatchesHistoryModel() => Check(sequences: 60, maxLength: 40);

    /// <summary>The long version, on demand: scripts/test.sh --soak.</summary>
    [Fact]
    [Trait("Category", "Soak")]
    public void StoreMatchesHistoryModelSoak() => Check(sequences: 2000, maxLength: 120);

    private static void Check(int sequences, int maxLength) =>
        GenOp.Array[1, maxLength].Sample(ops => Run(ops), iter: sequences, threads: 1, print: ops => string.Join("; ", ops.Select(o => o.ToString())));

    private static void Run(ModelOp[] ops)
    {
        var t = TempStore.Create();
        try
        {
            var model = new HistoryModel();
            foreach (var op in ops)
            {
                Step(t, model, op).GetAwaiter().GetResult();
            }

            // Every retained revision reads back exactly as the model has it.
            for (long rev = Math.Max(1, model.Compact); rev <= model.Rev; rev++)
            {
                Check(model, new RangeOp("\0", "\0", (int)(model.Rev - rev), 0), t.Store);
            }
        }
        finally
        {
            t.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private static async Task Step(TempStore t, HistoryModel model, ModelOp op)
    {
        var s = t.Store;
        switch (op)
        {
            case PutOp p:
                var put = await s.PutAsync(new PutRequest(B(p.Key), B(p.Value)));
                model.Apply([p]);
                Assert.Equal(model.Rev, put.Revision);
                break;
            case DelOp d:
                var del = await s.DeleteRangeAsync(new DeleteRangeRequest(B(d.Key), d.End is null ? null : B(d.End)));
                int expected = model.Apply([d]);
                Assert.Equal(expected, del.Deleted);
                Assert.Equal(model.Rev, del.Revision);
                break;
            case TxnOp x:
                var txn = await s.TxnAsync(x.ToRequest());
                bool ok = model.Evaluate(x);
                model.Apply(ok ? x.Success : x.Failure);
                Assert.Equal(ok, txn.Succeeded);
                Assert.Equal(model.Rev, txn.Revision);
                break;
            case CompactOp c:
                long target = model.Rev - c.Back;
                if (target <= model.Compact || target < 1)
                {
                    if (target >= 1)
                    {
                        var e = await Assert.ThrowsAsync<KvException>(async () => await s.CompactAsync(target));
                        Assert.Equal(KvErrorCode.Compacted, e.Code);
                    }

                    break;
                }

                await s.CompactAsync(target, physical: true);
                model.Compact = target;
                break;
            case RangeOp r:
                Check(model, r, s);
                break;
            case ReopenOp:
                await t.ReopenAsync();
                Assert.Equal(model.Rev, t.Store.Revision);
                Assert.Equal(model.Compact, t.Store.CompactRevision);
                break;
        }
    }

    private static void Check(HistoryModel model, RangeOp r, MvccStore s)
    {
        long rev = model.Rev - r.Back;
        if (rev <= 0)
        {
            return;
        }

        var req = new RangeRequest(B(r.Key), r.End is null ? null : B(r.End)) { Revision = rev, Limit = r.Limit };
        if (rev < model.Compact)
        {
            Assert.Equal(KvErrorCode.Compacted, Assert.Throws<KvException>(() => s.Range(req)).Code);
            return;
        }

        var got = s.Range(req);
        var all = model.Range(r.Key, r.End, rev);
        var want = r.Limit > 0 ? all.Take(r.Limit).ToList() : all;
        Assert.Equal(model.Rev, got.Revision);
        Assert.Equal(all.Count, got.Count);
        Assert.Equal(r.Limit > 0 && all.Count > r.Limit, got.More);
        Assert.Equal(
            want.Select(k => $"{k.Key}={k.Value.Value}@{k.Value.Create}/{k.Value.Mod}/{k.Value.Version}"),
            got.Kvs.Select(k => $"{S(k.Key)}={S(k.Value)}@{k.CreateRevision}/{k.ModRevision}/{k.Version}"));
    }
}

public abstract record ModelOp;

public sealed record PutOp(string Key, string Value) : ModelOp;

public sealed record DelOp(string Key, string? End) : ModelOp;

public sealed record RangeOp(string Key, string? End, int Back, int Limit) : ModelOp;

public sealed record CompactOp(int Back) : ModelOp;

public sealed record ReopenOp : ModelOp;

public sealed record TxnOp(string Key, CompareTarget Target, CompareResult Result, long Number, string Value, ModelOp[] Success, ModelOp[] Failure) : ModelOp
{
    public TxnRequest ToRequest()
    {
        var cmp = new Compare(Result, Target, B(Key)) { Version = Number, CreateRevision = Number, ModRevision = Number, Lease = 0, Value = B(Value) };
        return new TxnRequest([cmp], [.. Success.Select(ToOp)], [.. Failure.Select(ToOp)]);
    }

    public override string ToString() =>
        $"Txn({Key} {Target} {Result} {Number}/{Value} ? [{string.Join(",", Success.Select(o => o.ToString()))}] : [{string.Join(",", Failure.Select(o => o.ToString()))}])";

    private static RequestOp ToOp(ModelOp op) => op switch
    {
        PutOp p => RequestOp.Of(new PutRequest(B(p.Key), B(p.Value))),
        DelOp d => RequestOp.Of(new DeleteRangeRequest(B(d.Key), d.End is null ? null : B(d.End))),
        _ => throw new ArgumentException("unsupported txn op", nameof(op)),
    };
}

/// <summary>The reference: the whole key space after every revision. Obviously correct, hopelessly slow.</summary>
internal sealed class HistoryModel
{
    // Revisions 0 and 1 are both empty: a new store is at revision 1 (etcd's), so the first write takes revision 2.
    private readonly List<SortedDictionary<string, ModelKv>> _states = [new(StringComparer.Ordinal), new(StringComparer.Ordinal)];

    public long Rev => _states.Count - 1;

    public long Compact { get; set; }

    /// <summary>Applies ops as one write request; returns the number of keys deleted.</summary>
    public int Apply(IEnumerable<ModelOp> ops)
    {
        var next = new SortedDictionary<string, ModelKv>(_states[^1], StringComparer.Ordinal);
        long rev = Rev + 1;
        bool changed = false;
        int deleted = 0;
        foreach (var op in ops)
        {
            if (op is PutOp p)
            {
                next.TryGetValue(p.Key, out var old);
                next[p.Key] = new ModelKv(p.Value, old?.Create ?? rev, rev, (old?.Version ?? 0) + 1);
                changed = true;
            }
            else if (op is DelOp d)
            {
                foreach (var k in next.Keys.Where(k => InRange(k, d.Key, d.End)).ToList())
                {
                    next.Remove(k);
                    deleted++;
                    changed = true;
                }
            }
        }

        if (changed)
        {
            _states.Add(next);
        }

        return deleted;
    }

    public bool Evaluate(TxnOp x)
    {
        _states[^1].TryGetValue(x.Key, out var kv);
        if (kv is null && x.Target == CompareTarget.Value)
        {
            return false;
        }

        int c = x.Target switch
        {
            CompareTarget.Version => (kv?.Version ?? 0).CompareTo(x.Number),
            CompareTarget.Create => (kv?.Create ?? 0).CompareTo(x.Number),
            CompareTarget.Mod => (kv?.Mod ?? 0).CompareTo(x.Number),
            CompareTarget.Value => string.CompareOrdinal(kv!.Value, x.Value),
            _ => 0L.CompareTo(0L),
        };
        return x.Result switch
        {
            CompareResult.Equal => c == 0,
            CompareResult.NotEqual => c != 0,
            CompareResult.Greater => c > 0,
            _ => c < 0,
        };
    }

    public List<KeyValuePair<string, ModelKv>> Range(string key, string? end, long rev) =>
        [.. _states[(int)rev].Where(kv => InRange(kv.Key, key, end))];

    private static bool InRange(string k, string key, string? end) =>
        end is null ? k == key : string.CompareOrdinal(k, key) >= 0 && (end == "\0" || string.CompareOrdinal(k, end) < 0);
}

internal sealed record ModelKv(string Value, long Create, long Mod, long Version);
