"""Drives a node with the OASIS TAXII 2.1 client library (taxii2-client, not part of this
project and not packaged by Debian: put it on PYTHONPATH). Every step checks what the
library returns against what was sent. Run by tests/interop/taxii2client.sh.

Usage: taxii2client_check.py DISCOVERY_URL TOKEN CA_FILE
"""
import datetime
import sys
import uuid

from taxii2client.v21 import ApiRoot, Collection, Server


def check(cond, what):
    if not cond:
        raise SystemExit("FAIL: " + what)
    print("ok  ", what)


def indicator(i, modified="2025-04-01T00:00:00.000Z", oid=None):
    return {
        "type": "indicator", "spec_version": "2.1",
        "id": oid or "indicator--" + str(uuid.uuid4()),
        "created": "2025-04-01T00:00:00.000Z", "modified": modified,
        "pattern": "[domain-name:value = 'interop-%d.example.org']" % i,
        "pattern_type": "stix", "valid_from": "2025-04-01T00:00:00Z",
    }


def main():
    url, token, ca = sys.argv[1], sys.argv[2], sys.argv[3]
    # Basic authentication with the token as the password (as medallion's clients do).
    server = Server(url, user="interop", password=token, verify=ca)
    check(server.title, "discovery: title %r" % server.title)
    check(len(server.api_roots) >= 1, "discovery: %d API root(s)" % len(server.api_roots))
    check(server.default is not None, "discovery: a default API root")
    root = server.api_roots[0]
    check("application/taxii+json;version=2.1" in root.versions, "API root versions %s" % root.versions)
    check(root.max_content_length > 0, "API root max_content_length %d" % root.max_content_length)
    check(len(root.collections) >= 1, "collections: %d" % len(root.collections))
    coll = [c for c in root.collections if c.can_write][0]
    check(coll.can_read and coll.can_write, "collection %r readable and writable" % coll.title)

    # Add an envelope; the status resource is complete with every object a success.
    objs = [indicator(i) for i in range(250)]
    status = coll.add_objects({"objects": objs})
    check(status.status == "complete" and status.success_count == 250 and status.failure_count == 0,
          "add_objects: status %s, %d successes" % (status.status, status.success_count))
    again = root.get_status(status.id)
    check(again.id == status.id and again.success_count == 250, "get_status of the add")

    # A second version of one object.
    first = objs[0]
    newer = dict(first, modified="2025-05-01T00:00:00.000Z", description="second version")
    check(coll.add_objects({"objects": [newer]}).success_count == 1, "add a second version")

    # Paged reads with limit and next, as the library does them.
    ids = {o["id"] for o in objs}
    seen, pages, kwargs = set(), 0, {"limit": 100, "type": "indicator"}
    while True:
        page = coll.get_objects(**kwargs)
        pages += 1
        for o in page.get("objects", []):
            seen.add(o["id"])
        if not page.get("more"):
            break
        kwargs["next"] = page["next"]
    check(ids <= seen, "get_objects paged by 100: %d pages, all 250 objects" % pages)

    got = coll.get_object(first["id"])
    check(got["objects"][0].get("description") == "second version", "get_object: latest version")
    all_versions = coll.get_object(first["id"], version="all")
    check(len(all_versions["objects"]) == 2, "get_object version=all: 2 versions")
    versions = coll.object_versions(first["id"])
    check(versions["versions"] == ["2025-04-01T00:00:00.000Z", "2025-05-01T00:00:00.000Z"],
          "object_versions: %s" % versions["versions"])
    firstv = coll.get_object(first["id"], version="first")
    check("description" not in firstv["objects"][0], "get_object version=first")

    manifest = coll.get_manifest(id=first["id"])
    check(manifest["objects"][0]["id"] == first["id"], "get_manifest filtered by id")

    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)
    empty = coll.get_objects(added_after=later)
    check(not empty.get("objects"), "added_after in the future: nothing")
    by_id = coll.get_objects(id=[objs[1]["id"], objs[2]["id"]])
    check({o["id"] for o in by_id["objects"]} == {objs[1]["id"], objs[2]["id"]},
          "match[id] with two ids")

    coll.delete_object(objs[3]["id"])
    try:
        coll.get_object(objs[3]["id"])
        check(False, "delete_object: the object is gone")
    except Exception as e:  # requests.HTTPError 404
        check("404" in str(e), "delete_object: then 404")

    # A direct Collection and ApiRoot, as a client configured with their URLs would use them.
    direct = Collection(coll.url, user="interop", password=token, verify=ca)
    check(direct.title == coll.title, "Collection by URL")
    check(ApiRoot(root.url, user="interop", password=token, verify=ca).title == root.title,
          "ApiRoot by URL")
    print("taxii2-client interop: all checks passed")


if __name__ == "__main__":
    main()
