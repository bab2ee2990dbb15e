import OfferCancelKit

/// A chart drawn as inline SVG: a time (or value) axis, a value axis, and series as areas,
/// lines or bars. Each series is one `<path>`, however many points it has.
struct SVGChart {
    /// How a series is drawn.
    enum Style { case area, line, dashed, bars }

    struct Series {
        var name: String
        var color: String
        var style: Style
        /// (x, y) in data units; for areas, `base` gives the bottom (stacking).
        var points: [(x: Double, y: Double)]
        var base: [Double]? = nil
        /// Lines break where neighbouring points are further apart than this (no data between).
        var breakBeyond: Double? = nil
    }

    var title: String
    var xRange: ClosedRange<Double>
    var yMax: Double
    var yLabel: String
    /// Labels the x axis: a time of day, or a value.
    var xLabel: (Double) -> String
    var series: [Series] = []
    /// Shaded x spans (the gaps between runs), with their caption.
    var shaded: [(from: Double, to: Double)] = []
    var shadedCaption = ""

    static let width = 960.0
    static let height = 260.0
    private static let left = 64.0, right = 28.0, top = 26.0, bottom = 30.0

    private func x(_ value: Double) -> Double {
        let span = max(xRange.upperBound - xRange.lowerBound, 1e-9)
        return Self.left + (value - xRange.lowerBound) / span * (Self.width - Self.left - Self.right)
    }

    private func y(_ value: Double) -> Double {
        let top = max(yMax, 1e-9)
        return Self.height - Self.bottom - min(value, top) / top * (Self.height - Self.top - Self.bottom)
    }

    /// The `<figure>` with the SVG and its legend.
    func render() -> String {
        var svg = "<svg viewBox=\"0 0 \(Int(Self.width)) \(Int(Self.height))\" role=\"img\" aria-label=\"\(HTML.escape(title))\">"
        for gap in shaded {
            svg += "<rect class=\"gap\" x=\(q(x(gap.from))) y=\(q(Self.top)) width=\(q(max(1, x(gap.to) - x(gap.from)))) height=\(q(Self.height - Self.top - Self.bottom))><title>\(HTML.escape(shadedCaption))</title></rect>"
        }
        svg += axes()
        for item in series { svg += path(item) }
        svg += "</svg>"
        var legend = series.map { "<span><i style=\"background:\($0.color)\"></i>\(HTML.escape($0.name))</span>" }
        if !shaded.isEmpty { legend.append("<span><i class=\"gap\"></i>\(HTML.escape(shadedCaption))</span>") }
        return "<figure><figcaption>\(HTML.escape(title))</figcaption>\(svg)<div class=\"legend\">\(legend.joined())</div></figure>"
    }

    private func axes() -> String {
        var out = "<g class=\"axis\">"
        out += "<line x1=\(q(Self.left)) y1=\(q(Self.height - Self.bottom)) x2=\(q(Self.width - Self.right)) y2=\(q(Self.height - Self.bottom))/>"
        // yMax is 1, 2 or 5 × 10ⁿ: five steps (or four for 2), so every label is round.
        var lead = yMax
        while lead >= 10 { lead /= 10 }
        while lead < 1 { lead *= 10 }
        let steps = abs(lead - 2) < 1e-9 ? 4 : 5
        for step in 0...steps {
            let value = yMax * Double(step) / Double(steps)
            let yy = y(value)
            out += "<line class=\"grid\" x1=\(q(Self.left)) y1=\(q(yy)) x2=\(q(Self.width - Self.right)) y2=\(q(yy))/>"
            out += "<text x=\(q(Self.left - 6)) y=\(q(yy + 4)) text-anchor=\"end\">\(HTML.escape(Self.short(value)))</text>"
        }
        for step in 0...5 {
            let value = xRange.lowerBound + (xRange.upperBound - xRange.lowerBound) * Double(step) / 5
            let anchor = step == 0 ? "start" : step == 5 ? "end" : "middle"
            out += "<text x=\(q(x(value))) y=\(q(Self.height - 10)) text-anchor=\"\(anchor)\">\(HTML.escape(xLabel(value)))</text>"
        }
        out += "<text x=\(q(Self.left - 6)) y=\"12\" text-anchor=\"end\" class=\"unit\">\(HTML.escape(yLabel))</text></g>"
        return out
    }

    private func path(_ series: Series) -> String {
        guard !series.points.isEmpty else { return "" }
        var d = ""
        switch series.style {
        case .area:
            let base = series.base ?? Array(repeating: 0, count: series.points.count)
            d = "M" + series.points.enumerated().map { "\(f(x($0.element.x))),\(f(y($0.element.y + base[$0.offset])))" }.joined(separator: "L")
            d += "L" + series.points.indices.reversed().map { "\(f(x(series.points[$0].x))),\(f(y(base[$0])))" }.joined(separator: "L") + "Z"
            return "<path d=\"\(d)\" fill=\"\(series.color)\" fill-opacity=\"0.75\" stroke=\"none\"><title>\(HTML.escape(series.name))</title></path>"
        case .line, .dashed:
            for (index, point) in series.points.enumerated() {
                let jump = index == 0 || series.breakBeyond.map { point.x - series.points[index - 1].x > $0 } == true
                d += (jump ? "M" : "L") + "\(f(x(point.x))),\(f(y(point.y)))"
            }
            let dash = series.style == .dashed ? " stroke-dasharray=\"4 3\"" : ""
            return "<path d=\"\(d)\" fill=\"none\" stroke=\"\(series.color)\" stroke-width=\"1.6\"\(dash)><title>\(HTML.escape(series.name))</title></path>"
        case .bars:
            let slot = (Self.width - Self.left - Self.right) / Double(max(series.points.count, 1))
            for point in series.points where point.y > 0 {
                let top = y(point.y)
                d += "M\(f(x(point.x) - slot / 2 + 1)),\(f(Self.height - Self.bottom))V\(f(top))h\(f(max(1, slot - 2)))V\(f(Self.height - Self.bottom))Z"
            }
            return "<path d=\"\(d)\" fill=\"\(series.color)\"><title>\(HTML.escape(series.name))</title></path>"
        }
    }

    private func q(_ value: Double) -> String { "\"\(f(value))\"" }

    private func f(_ value: Double) -> String { SummaryText.format(value, digits: 1) }

    /// 1200 → "1.2k", 0.25 → "0.25".
    static func short(_ value: Double) -> String {
        if value >= 10_000 { return "\(Int((value / 1000).rounded()))k" }
        if value >= 1000 { return SummaryText.format(value / 1000, digits: 1) + "k" }
        if value >= 10 || value == 0 { return String(Int(value.rounded())) }
        return SummaryText.format(value, digits: 2)
    }
}

/// HTML text escaping.
enum HTML {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
