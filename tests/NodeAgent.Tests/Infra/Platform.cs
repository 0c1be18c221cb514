// The node agent runs containers on Linux only, and so do its tests.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
