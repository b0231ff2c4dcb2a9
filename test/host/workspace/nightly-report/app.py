# Nightly report: at 02:00 sums yesterday's orders in the database and writes a CSV report to S3.
import csv
import io
import os
from datetime import date, timedelta

import boto3
import psycopg

s3 = boto3.client("s3")
BUCKET = os.environ["REPORT_BUCKET"]


def _totals(day):
    with psycopg.connect(os.environ.get("DATABASE_URL", ""), connect_timeout=5) as conn:
        return conn.execute(
            "SELECT currency, count(*), sum(total) FROM orders WHERE created::date = %s GROUP BY currency", (day,)
        ).fetchall()


def lambda_handler(event, context):
    day = date.today() - timedelta(days=1)
    # The bucket's region decides the endpoint the report is written to.
    region = s3.get_bucket_location(Bucket=BUCKET).get("LocationConstraint") or "us-east-1"
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["currency", "orders", "total"])
    writer.writerows(_totals(day))
    boto3.client("s3", region_name=region).put_object(Bucket=BUCKET, Key=f"daily/{day}.csv", Body=out.getvalue())
    return {"day": str(day), "region": region}
