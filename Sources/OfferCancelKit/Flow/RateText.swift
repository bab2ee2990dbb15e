/// Request rates as people write them on the command line.
public enum RateText {
    /// Parses `N/s`, `N/m`, `N/h` or a bare `N` (per second) into requests per second.
    public static func perSecond(_ text: String) -> Double? {
        let parts = text.split(separator: "/", maxSplits: 1)
        guard let first = parts.first, let value = Double(first), value > 0, value.isFinite else { return nil }
        guard parts.count == 2 else { return value }
        switch parts[1].lowercased() {
        case "s", "sec", "second": return value
        case "m", "min", "minute": return value / 60
        case "h", "hour": return value / 3600
        default: return nil
        }
    }
}
