"""Peer for BENCHMARKS.md: cancel every ID in a file with aiohttp, N requests in flight,
parsing each reply and writing one NDJSON line per offer (what a user's own script would do).

usage: python3 aiohttp_cancel.py BASE_URL IDS_FILE CONCURRENCY [OUT.ndjson]
Prints one line: requests, seconds, requests/s, then "statuses" and the status counts.
"""
import asyncio
import collections
import json
import os
import sys
import time

import aiohttp


async def main(base, path, concurrency, out_path):
    ids = [line.strip() for line in open(path) if line.strip()]
    statuses = collections.Counter()
    queue = asyncio.Queue()
    for offer_id in ids:
        queue.put_nowait(offer_id)
    headers = {"Authorization": "Bearer mock-token"}
    connector = aiohttp.TCPConnector(limit=concurrency)
    with open(out_path, "w") as out:
        async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
            async def worker():
                while True:
                    try:
                        offer_id = queue.get_nowait()
                    except asyncio.QueueEmpty:
                        return
                    async with session.get(f"{base}/offers/{offer_id}/cancel") as response:
                        reply = await response.json()
                        statuses[response.status] += 1
                        offer = reply.get("result") or {}
                        out.write(json.dumps({
                            "offerId": offer_id,
                            "httpStatus": response.status,
                            "success": reply.get("success"),
                            "offerStatus": offer.get("status"),
                            "price": offer.get("price"),
                        }) + "\n")

            start = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            elapsed = time.perf_counter() - start
    counts = ", ".join(f"{status} ×{count}" for status, count in sorted(statuses.items()))
    print(f"{len(ids)} requests in {elapsed:.2f} s = {len(ids) / elapsed:.0f}/s statuses {counts}")


asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else os.devnull))
