using KvCluster.NodeAgent;
using KvCluster.NodeAgent.Images;
using KvCluster.Shared;

return await ProcessMain.RunAsync("nodeagent", ct => args is ["image", .. var rest]
    ? ImageCommand.RunAsync(rest)
    : NodeAgentHost.RunAsync(NodeAgentOptions.Parse(args), ct));
