/// Notices a run whose every reply fails the same way — a wrong `--base-url`, the wrong
/// account, an API that is down — so that it stops after a handful of offers instead of
/// failing 300,000 of them one by one (`--probe N`).
///
/// It watches records of offers that were sent, in the order they complete: when `window`
/// of them in a row are failed-class for the same reason (HTTP status and error code), it
/// names the reason and the likely fix. The first `window` replies of a run are such a window.
struct FailureProbe {
    /// Replies in a row that trip the probe; 0 turns it off.
    let window: Int
    private var reason: Reason?
    private var streak = 0

    /// What makes two failures "the same way".
    private struct Reason: Equatable {
        var httpStatus: Int?
        var errorCode: String?
        var outcome: Outcome
    }

    init(window: Int) {
        self.window = window
    }

    /// Takes the next record; returns why the run should stop when the window is full.
    mutating func observe(_ record: CancelRecord) -> String? {
        guard window > 0, record.attempts > 0 else { return nil }
        guard !record.outcome.isOK else {
            (reason, streak) = (nil, 0)
            return nil
        }
        let key = Reason(httpStatus: record.httpStatus, errorCode: record.errorCode, outcome: record.outcome)
        if key == reason { streak += 1 } else { (reason, streak) = (key, 1) }
        guard streak == window else { return nil }
        return "\(window) replies in a row failed the same way (\(Self.describe(record))): \(Self.fix(for: record))"
    }

    private static func describe(_ record: CancelRecord) -> String {
        var text = record.outcome.rawValue
        if let code = record.errorCode { text += " \(code)" }
        if let message = record.errorMessage { return text + ": " + message }
        return text + (record.httpStatus.map { ": HTTP \($0)" } ?? "")
    }

    private static func fix(for record: CancelRecord) -> String {
        switch record.outcome {
        case .forbidden:
            "are these the offers of this account? Check the credentials; once fixed, resume with --resume LOG --retry-outcomes forbidden"
        case .notFound:
            "are these offers of this API? Check --base-url; once fixed, resume with --resume LOG --retry-outcomes not_found"
        default:
            switch record.httpStatus {
            case nil: "check --base-url and the network (--probe 0 turns this check off)"
            case 429?: "the API refuses this pace: lower -c, use the adaptive defaults instead of --fixed-concurrency, or set --rate (--probe 0 turns this check off)"
            case let status? where status >= 500: "the API is failing; try again later (--probe 0 turns this check off)"
            case 404?: "check --base-url (--probe 0 turns this check off)"
            case 405?: "check --base-url and --cancel-method (--probe 0 turns this check off)"
            default: "check --base-url and the credentials (--probe 0 turns this check off)"
            }
        }
    }
}
