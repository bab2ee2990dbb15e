import PackagePlugin
@main struct NewSink: CommandPlugin { func performCommand(context: PluginContext, arguments: [String]) async throws {} }
