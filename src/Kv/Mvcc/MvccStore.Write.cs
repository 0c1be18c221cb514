using KvCluster.Kv.Storage;

namespace KvCluster.Kv.Mvcc;

public sealed partial class MvccStore
{
    public ValueTask<PutResponse> PutAsync(PutRequest request, long appliedIndex = 0, CancellationToken ct = default)
    {
        Validation.CheckPut(request);
        return WriteAsync(appliedIndex, request, static (store, b, r) =>
        {
            store.CheckPutTarget(r, b.Rev - 1);
            return store.DoPut(b, r);
        });
    }

    public ValueTask<DeleteRangeResponse> DeleteRangeAsync(DeleteRangeRequest request, long appliedIndex = 0, CancellationToken ct = default)
    {
        Validation.RequireKey(request.Key);
        return WriteAsync(appliedIndex, b => DoDelete(b, request));
    }

    public ValueTask<TxnResponse> TxnAsync(TxnRequest request, long appliedIndex = 0, CancellationToken ct = default)
    {
        Validation.CheckTxn(request, _options.MaxTxnOps);
        if (!Validation.IsWrite(request) && appliedIndex == 0)
        {
            // Read-only: no lock, one consistent view at the durable revision.
            var view = new WriteBatch(Revision + 1);
            var path = Plan(request, view.Rev - 1);
            CheckPath(request, path, view.Rev - 1);
            return ValueTask.FromResult(new TxnResponse(view.HeaderRevision, path.Succeeded, Execute(view, request, path)));
        }

        return WriteAsync(appliedIndex, b =>
        {
            var path = Plan(request, b.Rev - 1);
            CheckPath(request, path, b.Rev - 1);
            var responses = Execute(b, request, path);
            return new TxnResponse(b.HeaderRevision, path.Succeeded, responses);
        });
    }

    /// <summary>
    /// Applies write requests in order, each as its own request (its own revision if it changes
    /// anything), under one hold of the write lock and one WAL flush for all: how the Raft state
    /// machine applies a batch of committed entries, and how bulk loads reach full speed. A request
    /// that fails validation fails alone.
    /// </summary>
    public async ValueTask<IReadOnlyList<ApplyResult>> ApplyAsync(IReadOnlyList<RequestOp> requests, long appliedIndex = 0, CancellationToken ct = default)
    {
        var results = new ApplyResult[requests.Count];
        Task? durable;
        lock (_writeLock)
        {
            CheckWritable();
            for (int i = 0; i < requests.Count; i++)
            {
                var op = requests[i];
                try
                {
                    results[i] = new ApplyResult(ApplyLocked(appliedIndex, op, static (store, b, o) => store.ApplyOne(b, o)), null);
                }
                catch (KvException e)
                {
                    results[i] = new ApplyResult(null, e);
                }
            }

            durable = DurableLocked();
        }

        if (durable is not null)
        {
            await durable.ConfigureAwait(false);
        }

        return results;
    }

    private ResponseOp ApplyOne(WriteBatch b, RequestOp op)
    {
        if (op.Put is { } p)
        {
            Validation.CheckPut(p);
            CheckPutTarget(p, b.Rev - 1);
            return new ResponseOp { Put = DoPut(b, p) };
        }

        if (op.DeleteRange is { } d)
        {
            Validation.RequireKey(d.Key);
            return new ResponseOp { DeleteRange = DoDelete(b, d) };
        }

        if (op.Txn is { } t)
        {
            Validation.CheckTxn(t, _options.MaxTxnOps);
            var path = Plan(t, b.Rev - 1);
            CheckPath(t, path, b.Rev - 1);
            return new ResponseOp { Txn = new TxnResponse(b.HeaderRevision, path.Succeeded, Execute(b, t, path)) };
        }

        var r = op.Range ?? throw new ArgumentException("empty request op", nameof(op));
        Validation.RequireKey(r.Key);
        return new ResponseOp { Range = RangeAt(r, b.Rev - 1, b.Rev - 1) };
    }

    /// <summary>
    /// The changes of one write request: all share main revision <see cref="Rev"/>, numbered by sub. The writer reuses
    /// one (<see cref="Begin"/>) for every request it applies; a read-only txn makes its own view.
    /// </summary>
    private sealed class WriteBatch
    {
        private PendingRecords? _records;

        /// <summary>A read-only view at <paramref name="rev"/> (it cannot write).</summary>
        public WriteBatch(long rev) => Rev = rev;

        /// <summary>The revision the request takes if it changes anything.</summary>
        public long Rev { get; private set; }

        /// <summary>
        /// The revision's events for the watchers, or null when no watcher was open as it was applied: a store nobody
        /// watches then builds no event, key-value or list per write, objects that all lived until the commit round
        /// was published. A watcher that opens meanwhile reads such a revision from the store (WatcherHub.Publish).
        /// </summary>
        public List<Event>? Events { get; private set; }

        public long RevokedLease { get; set; }

        public (long Id, long Ttl)? GrantedLease { get; set; }

        /// <summary>Records written so far (puts and deletes).</summary>
        public int RecordCount => _records?.RevisionCount ?? 0;

        /// <summary>The revision a response reports: this write's, if it changed anything, else the one before.</summary>
        public long HeaderRevision => RecordCount > 0 ? Rev : Rev - 1;

        /// <summary>Starts the next request: revision <paramref name="rev"/>, records into <paramref name="records"/> (the store's, under the write lock).</summary>
        public void Begin(long rev, PendingRecords records, bool watched)
        {
            Rev = rev;
            _records = records;
            Events = watched ? [] : null;
            RevokedLease = 0;
            GrantedLease = null;
        }

        public Revision Next() => new(Rev, RecordCount);

        /// <summary>Adds a record at <paramref name="at"/> (<see cref="Next"/>); FASTER gets it from the committer.</summary>
        public void AddRecord(Revision at, byte[] key, byte[] value, long create, long version, long lease, bool tombstone, KeyIndex? entry) =>
            (_records ?? throw new InvalidOperationException("a read-only view cannot write"))
                .Add(at, key, value, create, version, lease, tombstone, entry);
    }

    private void CheckPutTarget(PutRequest r, long atRev)
    {
        if ((r.IgnoreValue || r.IgnoreLease) && !_index.TryGet(r.Key, atRev, out _))
        {
            throw KvException.KeyNotFound();
        }

        if (r.Lease != 0 && !_lessor.Exists(r.Lease))
        {
            throw KvException.LeaseNotFound();
        }
    }

    /// <summary>Checks the ops on the chosen path that can fail, so that a txn fails before it changes anything.</summary>
    private void CheckPath(TxnRequest t, TxnPath path, long current)
    {
        var ops = path.Succeeded ? t.Success : t.Failure;
        for (int i = 0; i < ops.Count; i++)
        {
            if (ops[i].Put is { } p)
            {
                CheckPutTarget(p, current);
            }
            else if (ops[i].Range is { } r && r.Revision > 0)
            {
                CheckReadable(r.Revision, current);
            }
            else if (ops[i].Txn is { } n)
            {
                CheckPath(n, path.Nested[i]!, current);
            }
        }
    }

    private List<ResponseOp> Execute(WriteBatch b, TxnRequest t, TxnPath path)
    {
        var ops = path.Succeeded ? t.Success : t.Failure;
        var responses = new List<ResponseOp>(ops.Count);
        for (int i = 0; i < ops.Count; i++)
        {
            var op = ops[i];
            if (op.Range is { } r)
            {
                // Reads inside a txn see the txn's own earlier writes.
                responses.Add(new ResponseOp { Range = RangeAt(r, b.HeaderRevision, b.HeaderRevision) });
            }
            else if (op.Put is { } p)
            {
                responses.Add(new ResponseOp { Put = DoPut(b, p) });
            }
            else if (op.DeleteRange is { } d)
            {
                responses.Add(new ResponseOp { DeleteRange = DoDelete(b, d) });
            }
            else if (op.Txn is { } n)
            {
                var nested = path.Nested[i]!;
                var inner = Execute(b, n, nested);
                responses.Add(new ResponseOp { Txn = new TxnResponse(b.HeaderRevision, nested.Succeeded, inner) });
            }
        }

        return responses;
    }

    /// <summary>
    /// A put. The index supplies create revision, version and the old lease, so the previous record is
    /// read only when the request needs its value (prev_kv, ignore_value, ignore_lease).
    /// </summary>
    private PutResponse DoPut(WriteBatch b, PutRequest r)
    {
        var prev = r.PrevKv || r.IgnoreValue || r.IgnoreLease ? Get(r.Key, b.Rev) : null;
        var value = r.IgnoreValue ? prev!.Value : r.Value;
        long lease = r.IgnoreLease ? prev!.Lease : r.Lease;
        var at = b.Next();
        var (create, version, prevLease, entry) = _index.Put(r.Key, at, lease);
        b.AddRecord(at, r.Key, value, create, version, lease, tombstone: false, entry);
        if (prevLease != 0 && prevLease != lease)
        {
            _lessor.Detach(prevLease, r.Key);
        }

        if (lease != 0)
        {
            _lessor.Attach(lease, r.Key);
        }

        b.Events?.Add(new Event(EventType.Put, new KeyValue(r.Key, value, create, b.Rev, version, lease), prev));
        KvMetrics.Puts.Add(1);
        return new PutResponse(b.HeaderRevision, r.PrevKv ? prev : null);
    }

    private DeleteRangeResponse DoDelete(WriteBatch b, DeleteRangeRequest r)
    {
        var targets = new List<(byte[] Key, Revision At)>();
        _index.Range(new KeyRange(r.Key, r.RangeEnd), b.Rev, descending: false, (k, at) =>
        {
            targets.Add((k, at));
            return true;
        });

        var prevs = new List<KeyValue>();
        foreach (var (key, current) in targets)
        {
            var prev = r.PrevKv ? ReadKeyValue(current, key) : null;
            var at = b.Next();
            long prevLease = _index.Tombstone(key, at);
            b.AddRecord(at, key, [], 0, 0, 0, tombstone: true, entry: null);
            if (prevLease != 0)
            {
                _lessor.Detach(prevLease, key);
            }

            b.Events?.Add(new Event(EventType.Delete, new KeyValue(key, [], 0, b.Rev, 0, 0), prev));
            KvMetrics.Deletes.Add(1);
            if (prev is not null)
            {
                prevs.Add(prev);
            }
        }

        return new DeleteRangeResponse(b.HeaderRevision, targets.Count, prevs);
    }
}
