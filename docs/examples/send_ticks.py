"""Push ticks into a running candleterm over its socket feed (standard library only).

    python docs/examples/send_ticks.py --symbol MYFEED --price 100 --rate 20

candleterm must run with the socket feed (`candleterm --feed socket --symbol MYFEED`, or Feed >
Socket in the toolbar) and show the same symbol. Start near the symbol's last price: a tick
more than 20% from it is rejected as an outlier. Each line sent is one JSON tick:
{"symbol": ..., "ts": <epoch ns>, "price": ..., "qty": ...}.
"""

import argparse
import json
import random
import socket
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbol", default="MYFEED")
    parser.add_argument(
        "--price", type=float, default=100.0, help="first price: the symbol's last price"
    )
    parser.add_argument("--rate", type=float, default=20.0, help="ticks a second")
    parser.add_argument("--count", type=int, default=0, help="stop after this many (0: never)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7878)
    args = parser.parse_args()
    price = args.price
    sent = 0
    with socket.create_connection((args.host, args.port)) as conn:
        while args.count == 0 or sent < args.count:
            price = max(0.01, round(price * (1 + random.gauss(0, 2e-4)), 2))
            tick = {"symbol": args.symbol, "ts": time.time_ns(), "price": price,
                    "qty": random.randint(1, 10)}  # fmt: skip
            conn.sendall(json.dumps(tick).encode() + b"\n")
            sent += 1
            time.sleep(1.0 / args.rate)
    print(f"sent {sent} ticks")


if __name__ == "__main__":
    main()
