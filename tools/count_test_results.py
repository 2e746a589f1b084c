#!/usr/bin/env python3
"""Counts test cases from the JUnit XML files Bazel leaves under bazel-testlogs.

Usage: bazel query 'tests(//...)' | count_test_results.py LABEL TESTLOGS_DIR
Reads the test targets from stdin so that only current targets count (not a
stale test.xml of a deleted one). Prints "LABEL: N passed, N failed, N skipped" and
the failures to stderr, and "PASSED FAILED SKIPPED" to stdout for the caller to add up.
A target without test.xml (it did not run) counts as one failure.
"""
import argparse
import glob
import os
import sys
import xml.etree.ElementTree as ET


def count_file(path):
    passed, failed, skipped, failures = 0, 0, 0, []
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        return 0, 1, 0, [f"{path}: unreadable test.xml ({e})"]
    cases = root.iter("testcase")
    for case in cases:
        if case.find("skipped") is not None or case.get("result") in ("skipped", "suppressed"):
            skipped += 1
            continue
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
            failures.append(f"{case.get('classname', '')}.{case.get('name', '')}")
        else:
            passed += 1
    return passed, failed, skipped, failures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("label")
    parser.add_argument("testlogs")
    args = parser.parse_args()
    total_passed, total_failed, total_skipped = 0, 0, 0
    for target in sys.stdin.read().split():
        # //pkg/sub:name -> TESTLOGS/pkg/sub/name/test.xml
        package, _, name = target.lstrip("/").partition(":")
        target_dir = os.path.join(args.testlogs, package, name)
        paths = [os.path.join(target_dir, "test.xml")]
        if not os.path.exists(paths[0]):
            # A sharded test (shard_count) has one result per shard.
            paths = sorted(glob.glob(os.path.join(target_dir, "shard_*_of_*", "test.xml")))
        if not paths:
            passed, failed, skipped, failures = 0, 1, 0, ["did not run (no test.xml)"]
        else:
            passed, failed, skipped, failures = 0, 0, 0, []
            for path in paths:
                p, f, s, fl = count_file(path)
                passed, failed, skipped = passed + p, failed + f, skipped + s
                failures += fl
        if passed == 0 and failed == 0 and skipped == 0:
            # A test binary that ran no case counts as a failure: it proves nothing.
            failed, failures = 1, [f"{target}: no test case ran"]
        total_passed += passed
        total_failed += failed
        total_skipped += skipped
        for f in failures:
            print(f"  FAILED {target}: {f}", file=sys.stderr)
    print(f"{args.label}: {total_passed} passed, {total_failed} failed, "
          f"{total_skipped} skipped", file=sys.stderr)
    print(f"{total_passed} {total_failed} {total_skipped}")


if __name__ == "__main__":
    main()
