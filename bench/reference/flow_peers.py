#!/usr/bin/env python3
"""Lambda functions' network peers from a recorded scenario's VPC flow logs: the plain Python reference.

Issue 11 times the whole offline scan of this project against "the plain Python reference" on the same files;
this is that reference (bench/run.js runs it, best of 3, beside the engine's scan). It is written the way a
developer would write the job in plain Python 3 with the standard library only: read the lines, split them,
count in a dict. It is neither slowed down on purpose nor micro-optimised.

What it does, as the engine's flow-log stage does (src/core/inventory/enis.ts, src/core/scan/flow-logs.ts,
src/core/flowlog/aggregate.ts):
  * reads the scenario's inventory: lambda/list-functions.json, ec2/describe-network-interfaces.json,
    ec2/describe-flow-logs.json and scenario.json (its recordedAt is "now");
  * finds the Lambda ENIs (InterfaceType "lambda", or a description "AWS Lambda VPC ENI-..." / "AWS Lambda VPC
    ENI: ...") and the functions each serves: every function whose VpcConfig has the ENI's subnet and exactly its
    set of security groups; when none has, the function named in the description;
  * reads each Lambda ENI from one flow log only, the most specific active one (ENI, then subnet, then VPC);
  * streams flowlogs/<FlowLogId>.log or .log.gz line by line in the flow log's LogFormat (default: v2 fields),
    or in the field names of a header line when the file starts with one; skips NODATA / SKIPDATA records and
    lines that do not parse; keeps the records of those Lambda ENIs that start inside the engine's default
    windows (14 days of baseline and 24 hours of detection, ending on the hour at or after recordedAt);
  * decides the direction as the engine does: the ENI's own address is the function's side and the other side
    is the peer, whose port is the service port (an inbound attempt from an ephemeral port to a well-known port
    on the ENI is filed under that port); when neither address is the ENI's, the v5 flow-direction field, else
    egress;
  * aggregates flows, packets and bytes per ENI x peer address x port x protocol x action x hour, then sums them
    per function and peer (address, port, protocol) over both windows.
It prints {"functions": [{"name", "enis", "peers": [{"address", "port", "protocol", "flows", "packets", "bytes",
"rejected"}]}], "stats": {...}} as JSON on stdout (--digest: a SHA-256 of that JSON instead) and its own timing
on stderr.

What it does not do: no CloudTrail (no API calls, no ENI history: an ENI that no longer exists is not credited
to any function), no CloudWatch metrics, no baseline comparison or findings, no naming of peers (no ip-ranges:
every address is a peer of its own, no AWS service grouping), no S3-delivered objects (flowlogs-s3/), no Athena,
no caching, one thread. Records without interface-id are matched to ENIs by address alone, not by time; a legacy
(pre-2019) ENI's requester id is not used to narrow its functions.
"""

import argparse
import gzip
import hashlib
import json
import os
import sys
import time
from collections import defaultdict
from datetime import datetime, timezone

DEFAULT_LOG_FORMAT = (
    "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} "
    "${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}"
)
BASELINE_DAYS = 14
DETECT_HOURS = 24
HOUR = 3600
PROTOCOL_NAMES = {6: "tcp", 17: "udp", 1: "icmp", 58: "icmpv6"}


def read_json(scenario, *parts):
    with open(os.path.join(scenario, *parts), encoding="utf-8") as f:
        return json.load(f)


def parse_time(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc).timestamp()


def is_lambda_eni(eni):
    description = eni.get("Description") or ""
    return (
        eni.get("InterfaceType") == "lambda"
        or description.startswith("AWS Lambda VPC ENI-")
        or description.startswith("AWS Lambda VPC ENI:")
    )


def function_in_description(description):
    """The function in "AWS Lambda VPC ENI-<function>-<uuid>" (a uuid has 5 dash-separated parts)."""
    prefix = "AWS Lambda VPC ENI-"
    if not description.startswith(prefix):
        return None
    parts = description[len(prefix) :].split("-")
    return "-".join(parts[:-5]) if len(parts) > 5 else None


def eni_addresses(eni):
    addresses = [p["PrivateIpAddress"] for p in eni.get("PrivateIpAddresses", []) if p.get("PrivateIpAddress")]
    if eni.get("PrivateIpAddress") and eni["PrivateIpAddress"] not in addresses:
        addresses.insert(0, eni["PrivateIpAddress"])
    addresses += [p["Ipv6Address"] for p in eni.get("Ipv6Addresses", []) if p.get("Ipv6Address")]
    return addresses


def lambda_enis(scenario):
    """{eni id: {"addresses", "functions", "subnet", "vpc"}} for every Lambda ENI that serves a function."""
    functions = read_json(scenario, "lambda", "list-functions.json")["Functions"]
    names = {f["FunctionName"] for f in functions}
    enis = {}
    for eni in read_json(scenario, "ec2", "describe-network-interfaces.json")["NetworkInterfaces"]:
        if not is_lambda_eni(eni):
            continue
        groups = {g["GroupId"] for g in eni.get("Groups", [])}
        users = []
        for f in functions:
            vpc = f.get("VpcConfig") or {}
            subnets = vpc.get("SubnetIds") or []
            if subnets and eni.get("SubnetId") in subnets and set(vpc.get("SecurityGroupIds") or []) == groups:
                users.append(f["FunctionName"])
        if not users:
            named = function_in_description(eni.get("Description") or "")
            if named in names:
                users = [named]
        if users:
            enis[eni["NetworkInterfaceId"]] = {
                "addresses": set(eni_addresses(eni)),
                "functions": sorted(users),
                "subnet": eni.get("SubnetId"),
                "vpc": eni.get("VpcId"),
            }
    return enis


def flow_log_rank(flow_log, eni_id, eni):
    """How well a flow log covers an ENI: its own (30), its subnet's (20), its VPC's (10); then CloudWatch Logs, ALL."""
    resource = flow_log.get("ResourceId")
    if resource == eni_id:
        rank = 30
    elif resource == eni["subnet"]:
        rank = 20
    elif resource == eni["vpc"]:
        rank = 10
    else:
        return 0
    if flow_log.get("LogDestinationType", "cloud-watch-logs") == "cloud-watch-logs":
        rank += 2
    if flow_log.get("TrafficType", "ALL") == "ALL":
        rank += 1
    return rank


def assign_flow_logs(scenario, enis):
    """{flow log id: the ENI ids read from it}, each ENI from its most specific active flow log; the flow logs by id."""
    flow_logs = read_json(scenario, "ec2", "describe-flow-logs.json")["FlowLogs"]
    active = [f for f in flow_logs if f.get("FlowLogStatus", "ACTIVE") == "ACTIVE"]
    by_flow_log = defaultdict(set)
    for eni_id, eni in enis.items():
        candidates = [f for f in active if flow_log_rank(f, eni_id, eni) > 0]
        if candidates:
            best = max(candidates, key=lambda f: flow_log_rank(f, eni_id, eni))
            by_flow_log[best["FlowLogId"]].add(eni_id)
    return by_flow_log, {f["FlowLogId"]: f for f in flow_logs}


def field_names(log_format):
    return [token[2:-1] for token in (log_format or DEFAULT_LOG_FORMAT).split()]


def open_text(path):
    if path.endswith(".gz"):
        return gzip.open(path, "rt", encoding="latin-1")
    return open(path, encoding="latin-1")


class Fields:
    """Where each field is in a record of one format (-1 when the format lacks it)."""

    def __init__(self, names):
        self.count = len(names)
        at = {name: i for i, name in enumerate(names)}
        self.interface_id = at.get("interface-id", -1)
        self.srcaddr = at["srcaddr"]
        self.dstaddr = at["dstaddr"]
        self.srcport = at["srcport"]
        self.dstport = at["dstport"]
        self.protocol = at["protocol"]
        self.packets = at.get("packets", -1)
        self.bytes = at.get("bytes", -1)
        self.start = at.get("start", at.get("end"))
        self.action = at["action"]
        self.log_status = at.get("log-status", -1)
        self.flow_direction = at.get("flow-direction", -1)


def read_flow_log(path, log_format, enis, wanted, start, end, aggregates, stats):
    """Counts the records of the wanted ENIs that start in [start, end).

    Into aggregates[(eni, peer address, port, protocol, action, hour)]: [flows, packets, bytes].
    """
    f = Fields(field_names(log_format))
    address_to_eni = {a: eni_id for eni_id in wanted for a in enis[eni_id]["addresses"]}
    first_line = True
    with open_text(path) as lines:
        for line in lines:
            values = line.split()
            if not values:
                continue
            if first_line:
                first_line = False
                if "srcaddr" in values and "dstaddr" in values:
                    f = Fields(values)  # a header line (S3 delivery): the fields this file holds, in its order
                    continue
            stats["records"] += 1
            if f.log_status >= 0 and len(values) > f.log_status and values[f.log_status] in ("NODATA", "SKIPDATA"):
                stats["nodata"] += 1
                continue
            if len(values) != f.count:
                stats["malformed"] += 1
                continue
            action = values[f.action]
            if action == "-":
                stats["nodata"] += 1
                continue
            if action not in ("ACCEPT", "REJECT"):
                stats["malformed"] += 1
                continue
            try:
                first = int(values[f.start])
                if f.interface_id >= 0:
                    eni_id = values[f.interface_id]
                else:
                    eni_id = address_to_eni.get(values[f.srcaddr]) or address_to_eni.get(values[f.dstaddr])
                if eni_id not in wanted:
                    stats["other_interfaces"] += 1
                    continue
                if not start <= first < end:
                    stats["out_of_range"] += 1
                    continue
                packets = int(values[f.packets]) if f.packets >= 0 else 0
                size = int(values[f.bytes]) if f.bytes >= 0 else 0
                srcport = int(values[f.srcport])
                dstport = int(values[f.dstport])
                protocol = int(values[f.protocol])
            except ValueError:
                stats["malformed"] += 1
                continue
            srcaddr = values[f.srcaddr]
            dstaddr = values[f.dstaddr]
            own = enis[eni_id]["addresses"]
            if srcaddr in own:
                egress = True
            elif dstaddr in own:
                egress = False
            elif f.flow_direction >= 0:
                egress = values[f.flow_direction] == "egress"
            else:
                egress = True
            if egress:
                address, port = dstaddr, dstport
            elif dstport < 1024 <= srcport:
                # Lambda accepts no inbound connection: an attempt on a well-known port of the ENI is filed there.
                address, port = srcaddr, dstport
            else:
                # Return traffic comes from the peer's service port.
                address, port = srcaddr, srcport
            counts = aggregates[(eni_id, address, port, protocol, action, first - first % HOUR)]
            counts[0] += 1
            counts[1] += packets
            counts[2] += size
            stats["attributed"] += 1


def scan(scenario):
    meta = read_json(scenario, "scenario.json")
    now = parse_time(meta["recordedAt"]) if meta.get("recordedAt") else time.time()
    detect_end = -(-int(now) // HOUR) * HOUR
    start = detect_end - DETECT_HOURS * HOUR - BASELINE_DAYS * 24 * HOUR

    enis = lambda_enis(scenario)
    by_flow_log, flow_logs = assign_flow_logs(scenario, enis)
    aggregates = defaultdict(lambda: [0, 0, 0])
    stats = defaultdict(int)
    for flow_log_id, wanted in sorted(by_flow_log.items()):
        if flow_logs[flow_log_id].get("LogDestinationType") == "s3":
            continue  # its objects are in flowlogs-s3/, which this reference does not read
        for suffix in (".log", ".log.gz"):
            path = os.path.join(scenario, "flowlogs", flow_log_id + suffix)
            if os.path.isfile(path):
                log_format = flow_logs[flow_log_id].get("LogFormat")
                read_flow_log(path, log_format, enis, wanted, start, detect_end, aggregates, stats)
                break

    # Per function and peer over both windows: the ENI's rows go to every function the ENI serves.
    peers = defaultdict(lambda: defaultdict(lambda: [0, 0, 0, 0]))
    for (eni_id, address, port, protocol, action, _hour), (flows, packets, size) in aggregates.items():
        for name in enis[eni_id]["functions"]:
            total = peers[name][(address, port, protocol)]
            total[0] += flows
            total[1] += packets
            total[2] += size
            if action == "REJECT":
                total[3] += flows

    functions = []
    for name in sorted({f for eni in enis.values() for f in eni["functions"]}):
        rows = sorted(peers[name].items(), key=lambda item: (-item[1][0], item[0]))
        functions.append(
            {
                "name": name,
                "enis": sorted(eni_id for eni_id, eni in enis.items() if name in eni["functions"]),
                "peers": [
                    {
                        "address": address,
                        "port": port,
                        "protocol": PROTOCOL_NAMES.get(protocol, str(protocol)),
                        "flows": flows,
                        "packets": packets,
                        "bytes": size,
                        "rejected": rejected,
                    }
                    for (address, port, protocol), (flows, packets, size, rejected) in rows
                ],
            }
        )
    stats["aggregates"] = len(aggregates)
    return {"functions": functions, "stats": dict(stats)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("scenario", help="a recorded scenario directory")
    parser.add_argument("--digest", action="store_true", help="print a SHA-256 of the JSON instead of the JSON")
    args = parser.parse_args()
    started = time.perf_counter()
    result = scan(args.scenario)
    text = json.dumps(result, indent=1)
    if args.digest:
        print(hashlib.sha256(text.encode()).hexdigest())
    else:
        print(text)
    stats = result["stats"]
    print(
        f"flow_peers.py: {stats.get('records', 0)} records, {stats.get('attributed', 0)} attributed, "
        f"{len(result['functions'])} functions in {time.perf_counter() - started:.2f} s",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
