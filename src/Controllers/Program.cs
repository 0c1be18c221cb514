using KvCluster.Controllers;

try
{
    var options = ControllersOptions.Parse(args);
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
    return await ControllersHost.RunAsync(options, stop.Token);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine("controllers: " + e.Message);
    return 2;
}
catch (OperationCanceledException)
{
    return 0;
}
