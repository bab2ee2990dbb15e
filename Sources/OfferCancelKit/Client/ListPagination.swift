import JSONStream

/// The `pagination` object of a list reply, as Venly's SDKs model it
/// (`VyApiResponseDto`: `pageNumber`, `pageSize`, `numberOfPages`, `numberOfElements`,
/// `hasNextPage`, `hasPreviousPage`).
public struct Pagination: Sendable, Equatable {
    public var pageNumber: Int
    public var pageSize: Int?
    public var numberOfPages: Int?
    public var numberOfElements: Int?
    public var hasNextPage: Bool

    public init(pageNumber: Int, pageSize: Int? = nil, numberOfPages: Int? = nil, numberOfElements: Int? = nil, hasNextPage: Bool) {
        self.pageNumber = pageNumber
        self.pageSize = pageSize
        self.numberOfPages = numberOfPages
        self.numberOfElements = numberOfElements
        self.hasNextPage = hasNextPage
    }

    /// The object read, or why it cannot be followed (it lacks `pageNumber` or `hasNextPage`).
    static func read(_ value: JSONValue) -> Result<Pagination, PageError> {
        func int(_ key: String) -> Int? { value[key]?.integer.map { Int($0) } }
        guard let number = int("pageNumber"), let hasNext = value["hasNextPage"]?.bool else {
            return .failure(PageError("the reply's pagination lacks pageNumber or hasNextPage"))
        }
        return .success(Pagination(pageNumber: number, pageSize: int("pageSize"), numberOfPages: int("numberOfPages"),
                                   numberOfElements: int("numberOfElements"), hasNextPage: hasNext))
    }
}

/// Why a paginated list cannot be trusted whole.
struct PageError: Error {
    var reason: String
    init(_ reason: String) { self.reason = reason }
}

/// Follows a paginated list page by page and checks that the pages add up: each page is the
/// one asked for, the count the server gave never changes, no offer comes twice, and the
/// offers listed are that count when the last page says so. One per list.
struct PageWalk {
    /// `--page-size`, sent with every request.
    let pageSize: Int?
    /// Pages read, and offers listed on them.
    private(set) var pages = 0
    private(set) var listed = 0
    /// The number of offers the first page said the list holds.
    private(set) var expected: Int?
    /// The page number to ask for next (`nil`: the first request names none, the server's
    /// first page).
    private(set) var next: Int?
    /// Hashes of the IDs listed so far (8 bytes an offer), and the first ID listed twice
    /// before the list was known to be paginated (a list of one reply is the server's own).
    private var seen = Set<UInt64>()
    private var firstRepeat: String?
    private var paginated = false

    init(pageSize: Int?) {
        self.pageSize = pageSize
    }

    /// The query items of the next request: `pageNumber` and `pageSize`, named like the
    /// reply's own fields.
    var queryItems: [(String, String)] {
        var items: [(String, String)] = []
        if let next { items.append(("pageNumber", String(next))) }
        if let pageSize { items.append(("pageSize", String(pageSize))) }
        return items
    }

    /// Takes one offer of the page being read; throws if it came before.
    mutating func offer(_ offer: JSONValue) throws(PageError) {
        listed += 1
        guard let id = OfferFields.id(offer)?.string, !seen.insert(Self.hash(id)).inserted else { return }
        guard paginated else { return firstRepeat = firstRepeat ?? id }
        throw PageError("offer \(id) came twice, the second time on page \(next.map(String.init) ?? "1")")
    }

    /// Takes the end of a page and its `pagination` (`nil`: the reply had none, so it was the
    /// whole list). Returns whether another page is to be read.
    mutating func pageEnded(_ pagination: JSONValue?, offersOnPage: Int) throws(PageError) -> Bool {
        pages += 1
        guard let pagination, pagination.kind == .object else {
            guard !paginated else { throw PageError("page \(next ?? pages) has no pagination though the pages before had one") }
            return false
        }
        let page = try Pagination.read(pagination).get()
        if let asked = next, page.pageNumber != asked {
            throw PageError("page \(asked) was asked for and page \(page.pageNumber) came back: the server does not follow pageNumber")
        }
        if pages == 1 {
            expected = page.numberOfElements
            paginated = true
            if let firstRepeat { throw PageError("offer \(firstRepeat) came twice on page \(page.pageNumber)") }
        } else if page.numberOfElements != expected {
            throw PageError("the count changed between pages, from \(expected.map(String.init) ?? "none") to \(page.numberOfElements.map(String.init) ?? "none")")
        }
        if let expected, listed > expected { throw PageError("more offers came than the \(expected) the pages count") }
        guard page.hasNextPage else {
            if let expected, listed != expected { throw PageError("the last page came with \(expected - listed) offers missing") }
            return false
        }
        guard offersOnPage > 0 else { throw PageError("page \(page.pageNumber) is empty but says another follows") }
        next = page.pageNumber + 1
        return true
    }

    /// A stable 64-bit hash of an ID (FNV-1a): 8 bytes per offer to find one listed twice.
    private static func hash(_ id: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in id.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }
}
