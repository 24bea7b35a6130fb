"""The workload case written as a data engineer would script it in Python (standard library only).

    python3 bench/workload_peer.py --url http://127.0.0.1:PORT --out /tmp/out.csv

Asks for /items?page=1, 2, ... in order on one keep-alive connection, parses each body with
json.loads, takes the same 8 columns (id, name, price, status, note, owner.name, owner.email,
account.name) and writes them with csv.writer, until info.more_records is false.
Prints one line `PEER {json}`: rows, in-run ms (first request -> file closed), CPU ms, peak RSS KiB.
"""
import argparse
import csv
import http.client
import json
import resource
import sys
import time
import urllib.parse

COLUMNS = ["id", "name", "price", "status", "note", "owner_name", "owner_email", "account_name"]


def cell(value):
    # As the command writes cells: absent -> empty, booleans lower case, numbers as JSON writes them.
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return value


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    target = urllib.parse.urlsplit(args.url)
    started = time.monotonic()
    cpu = time.process_time()
    connection = http.client.HTTPConnection(target.hostname, target.port)
    rows = 0
    with open(args.out, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        page = 1
        while True:
            connection.request("GET", f"/items?page={page}&per_page=1000")
            response = connection.getresponse()
            body = json.loads(response.read())
            if response.status != 200:
                sys.exit(f"page {page}: HTTP {response.status}")
            for item in body["data"]:
                owner = item.get("owner") or {}
                account = item.get("account") or {}
                writer.writerow(
                    [
                        cell(item.get("id")),
                        cell(item.get("name")),
                        cell(item.get("price")),
                        cell(item.get("status")),
                        cell(item.get("note")),
                        cell(owner.get("name")),
                        cell(owner.get("email")),
                        cell(account.get("name")),
                    ]
                )
            rows += len(body["data"])
            if not body["info"]["more_records"]:
                break
            page += 1
    report = {
        "rows": rows,
        "pages": page,
        "inRunMs": (time.monotonic() - started) * 1000,
        "cpuMs": (time.process_time() - cpu) * 1000,
        "maxRssKb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }
    print("PEER " + json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
