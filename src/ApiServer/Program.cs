using KvCluster.ApiServer.Hosting;

try
{
    var options = ApiServerOptions.Parse(args);
    return await ApiServerHost.RunAsync(options);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine("apiserver: " + e.Message);
    return 2;
}
