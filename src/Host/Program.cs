using Caiman.Host;

// The `caiman` command: runs pipelines in this process on the embedded SQLite default.
return await Cli.RunAsync(args);
