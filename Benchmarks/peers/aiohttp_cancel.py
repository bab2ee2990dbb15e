"""Peer for BENCHMARKS.md: cancel every ID in a file with aiohttp, N requests in flight.

usage: python3 aiohttp_cancel.py BASE_URL IDS_FILE CONCURRENCY
Prints one line: requests, seconds, requests/s, and the status counts.
"""
import asyncio
import collections
import sys
import time

import aiohttp


async def main(base, path, concurrency):
    ids = [line.strip() for line in open(path) if line.strip()]
    statuses = collections.Counter()
    queue = asyncio.Queue()
    for offer_id in ids:
        queue.put_nowait(offer_id)
    headers = {"Authorization": "Bearer mock-token"}
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
        async def worker():
            while True:
                try:
                    offer_id = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                async with session.get(f"{base}/offers/{offer_id}/cancel") as response:
                    await response.json()
                    statuses[response.status] += 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    print(f"{len(ids)} requests in {elapsed:.2f} s = {len(ids) / elapsed:.0f}/s {dict(statuses)}")


asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
