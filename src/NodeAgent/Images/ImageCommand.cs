namespace KvCluster.NodeAgent.Images;

/// <summary>`nodeagent image import|list|rm`: manages the node's local images (no registry is reachable here).</summary>
public static class ImageCommand
{
    private const string Usage = """
        usage:
          nodeagent image import [--root-dir DIR] [--name REF] PATH   PATH: an OCI image layout (directory or tar) or a root filesystem (directory or tar; needs --name)
          nodeagent image list [--root-dir DIR]
          nodeagent image rm [--root-dir DIR] REF
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        string root = new NodeAgentOptions().RootDir;
        string? name = null;
        var rest = new List<string>();
        for (var i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--root-dir" when i + 1 < args.Length:
                    root = args[++i];
                    break;
                case "--name" when i + 1 < args.Length:
                    name = args[++i];
                    break;
                default:
                    rest.Add(args[i]);
                    break;
            }
        }

        var store = new ImageStore(root);
        switch (args.FirstOrDefault(), rest)
        {
            case ("list", []):
                Console.WriteLine($"{"IMAGE",-50} {"IMAGE ID",-20} SIZE");
                foreach (var image in store.List())
                {
                    Console.WriteLine($"{image.Reference,-50} {image.Id[7..20],-20} {image.SizeBytes / 1024.0 / 1024.0:0.0}MB");
                }

                return 0;
            case ("rm", [var reference]):
                if (store.Remove(reference))
                {
                    Console.WriteLine($"Deleted: {ImageReference.Parse(reference)}");
                    return 0;
                }

                Console.Error.WriteLine($"image \"{reference}\" not found");
                return 1;
            case ("import", [var path]):
                var imported = await ImageImporter.ImportAsync(store, path, name, CancellationToken.None);
                Console.WriteLine($"imported {imported.Reference} ({imported.Id})");
                return 0;
            default:
                Console.Error.WriteLine(Usage);
                return 2;
        }
    }
}
