// Peer for BENCHMARKS.md: cancel every ID in a file with Go's net/http and encoding/json,
// N goroutines over a pool of N keep-alive connections, each reply decoded into the fields a
// record needs and written as one NDJSON line through one buffered writer (what a Go
// engineer's first draft would do). Standard library only.
//
// usage: go run . BASE_URL IDS_FILE CONCURRENCY [OUT.ndjson]
// Prints one line: requests, seconds, requests/s, then "statuses" and the status counts.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

type reply struct {
	Success bool `json:"success"`
	Result  *struct {
		Status string           `json:"status"`
		Price  *json.RawMessage `json:"price"`
	} `json:"result"`
}

type record struct {
	OfferID     string           `json:"offerId"`
	HTTPStatus  int              `json:"httpStatus"`
	Success     bool             `json:"success"`
	OfferStatus string           `json:"offerStatus,omitempty"`
	Price       *json.RawMessage `json:"price,omitempty"`
}

func main() {
	if len(os.Args) < 4 {
		fmt.Fprintln(os.Stderr, "usage: go-cancel BASE_URL IDS_FILE CONCURRENCY [OUT.ndjson]")
		os.Exit(2)
	}
	base, path := os.Args[1], os.Args[2]
	concurrency, err := strconv.Atoi(os.Args[3])
	if err != nil || concurrency < 1 {
		fmt.Fprintln(os.Stderr, "CONCURRENCY: a whole number ≥ 1")
		os.Exit(2)
	}
	outPath := os.DevNull
	if len(os.Args) > 4 {
		outPath = os.Args[4]
	}
	data, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ids := strings.Fields(string(data))
	file, err := os.Create(outPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out := bufio.NewWriter(file)

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: concurrency, MaxConnsPerHost: concurrency}}
	work := make(chan string)
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < concurrency; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range work {
				rec := cancel(client, base, id)
				line, _ := json.Marshal(rec)
				mu.Lock()
				statuses[rec.HTTPStatus]++
				out.Write(line)
				out.WriteByte('\n')
				mu.Unlock()
			}
		}()
	}
	for _, id := range ids {
		work <- id
	}
	close(work)
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	if err := out.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	file.Close()

	codes := make([]int, 0, len(statuses))
	for code := range statuses {
		codes = append(codes, code)
	}
	sort.Ints(codes)
	counts := make([]string, 0, len(codes))
	for _, code := range codes {
		counts = append(counts, fmt.Sprintf("%d ×%d", code, statuses[code]))
	}
	fmt.Printf("%d requests in %.2f s = %.0f/s statuses %s\n", len(ids), elapsed, float64(len(ids))/elapsed, strings.Join(counts, ", "))
}

// cancel sends one cancel and decodes its reply; a transport error is status 0.
func cancel(client *http.Client, base, id string) record {
	request, _ := http.NewRequest(http.MethodGet, base+"/offers/"+id+"/cancel", nil)
	request.Header.Set("Authorization", "Bearer mock-token")
	response, err := client.Do(request)
	if err != nil {
		return record{OfferID: id}
	}
	defer response.Body.Close()
	var body reply
	if err := json.NewDecoder(response.Body).Decode(&body); err != nil {
		io.Copy(io.Discard, response.Body)
	}
	rec := record{OfferID: id, HTTPStatus: response.StatusCode, Success: body.Success}
	if body.Result != nil {
		rec.OfferStatus, rec.Price = body.Result.Status, body.Result.Price
	}
	return rec
}
