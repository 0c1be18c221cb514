Console.Error.WriteLine("nodeagent: not yet");
return 2;
