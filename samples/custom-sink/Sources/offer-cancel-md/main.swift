import MarkdownReportSink
import OfferCancelCLI
import OfferCancelKit

var registry = SinkRegistry.standard
MarkdownReportSink.register(in: &registry)
await OfferCancelCommand.main(registry: registry)
