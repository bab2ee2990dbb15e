import ArgumentParser
import Foundation
import OfferCancelKit

/// `offer-cancel sinks`: the schemes this binary knows, and the options each reads.
struct SinksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sinks", abstract: "List the sink schemes this binary knows.")

    func run() throws {
        let entries = OfferCancelCommand.registry.sorted
        let width = entries.map { $0.scheme.count + ($0.targetUsage.isEmpty ? 0 : $0.targetUsage.count + 1) }.max() ?? 0
        for entry in entries {
            let spec = entry.targetUsage.isEmpty ? entry.scheme : "\(entry.scheme):\(entry.targetUsage)"
            print(spec.padding(toLength: width + 2, withPad: " ", startingAt: 0) + entry.help)
            for option in entry.options {
                print(String(repeating: " ", count: width + 4) + "--sink-option \(option.key)=\(Self.placeholder(option.kind)): \(option.help)")
            }
        }
    }

    private static func placeholder(_ kind: SinkRegistry.Option.Kind) -> String {
        switch kind {
        case .flag: "true|false"
        case .integer: "N"
        case .list: "A,B,…"
        case .text: "TEXT"
        }
    }
}
