"""GeoReport v2's XML form of the same bodies the JSON answers carry.

The standard's XML wraps a list in a plural element whose items are the singular
(`<services><service>...`, `<service_requests><request>...`, `<errors><error>...`); a dict's
keys become child elements in order; `true`/`false` for booleans, an empty element for null.
Built with the standard library's ElementTree, which escapes text and attribute values: no
string of ours is ever pasted into markup. Only writing happens here; tests parse the answers
back with defusedxml.
"""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

# A list under this key (or as the document itself, under this root) holds these items.
ITEM_OF = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _fill(ET.SubElement(element, key), child)
    elif isinstance(value, list):
        item = ITEM_OF.get(element.tag, "item")
        for child in value:
            _fill(ET.SubElement(element, item), child)
    else:
        element.text = _text(value)


def document(root: str, body: Any) -> bytes:
    """`body` (the JSON answer's data) as an XML document whose root element is `root`."""
    element = ET.Element(root)
    _fill(element, body)
    return ET.tostring(element, encoding="utf-8", xml_declaration=True)
