"""A strict enough HTML reader for tests: every tag closed in order, and the text of the cells."""
from html.parser import HTMLParser

VOID = {"br", "img", "hr", "meta", "input", "col"}


class _Reader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.cells, self.captions, self.text = [], [], [], []

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append(tag)
        if tag in ("td", "th", "caption"):
            self.text = []

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            raise AssertionError(f"</{tag}> closes <{self.stack[-1] if self.stack else 'nothing'}>")
        self.stack.pop()
        if tag in ("td", "th"):
            self.cells.append("".join(self.text))
        elif tag == "caption":
            self.captions.append("".join(self.text))

    def handle_data(self, data):
        self.text.append(data)


def parse_html(markup):
    """Parse `markup`; raise AssertionError unless every tag is closed in order.

    Returns the reader: `.cells` (text of every td/th in order) and `.captions`.
    """
    reader = _Reader()
    reader.feed(markup)
    reader.close()
    assert not reader.stack, f"unclosed tags: {reader.stack}"
    return reader
