using KvCluster.Controllers;
using KvCluster.Shared;

return await ProcessMain.RunAsync("controllers", ct => ControllersHost.RunAsync(ControllersOptions.Parse(args), ct));
