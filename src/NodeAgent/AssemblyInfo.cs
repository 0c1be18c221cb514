// The node agent drives Linux namespaces, cgroups and OCI runtimes: Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
