using KvCluster.NodeAgent;
using KvCluster.NodeAgent.Images;

try
{
    if (args is ["image", .. var rest])
    {
        return await ImageCommand.RunAsync(rest);
    }

    var options = NodeAgentOptions.Parse(args);
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
    return await NodeAgentHost.RunAsync(options, stop.Token);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine("nodeagent: " + e.Message);
    return 2;
}
catch (OperationCanceledException)
{
    return 0;
}
