namespace KvCluster.Shared;

/// <summary>
/// A server's main: runs it until Ctrl-C or SIGTERM (which cancel its token); a bad flag or file
/// (ArgumentException) is printed as "program: message" with exit code 2.
/// </summary>
internal static class ProcessMain
{
    public static async Task<int> RunAsync(string program, Func<CancellationToken, Task<int>> run)
    {
        try
        {
            using var stop = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) =>
            {
                e.Cancel = true;
                stop.Cancel();
            };
            using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c =>
            {
                c.Cancel = true;
                stop.Cancel();
            });
            return await run(stop.Token);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"{program}: {e.Message}");
            return 2;
        }
        catch (OperationCanceledException)
        {
            return 0;
        }
    }
}
