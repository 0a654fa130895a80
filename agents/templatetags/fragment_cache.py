"""`{% cached_per_version "name" value … free_text=text %}…{% endcached_per_version %}`: a
fragment of a page rendered once per read-model version for the validated values given, through
the project's one caching mechanism (`agents.services.read_model_cache.cached_per_version`).
`free_text=` names the text search among the values, if any: a fragment for a search lives a
minute at most (`FREE_TEXT_CACHE_SECONDS`).

The values must be validated ones (a list state's `query`, a dataclass of filters): never the
raw query string, so junk in a URL cannot make new entries. Where a page shows values it
rejected, it renders the fragment without this tag.
"""

from __future__ import annotations

from django import template

from agents.services.read_model_cache import cached_per_version as cached

register = template.Library()

# A rendered fragment lives no longer than this: a sync that changes agents retires it at once
# (its version); the limit bounds how long a deploy's new markup waits behind a shared cache.
FRAGMENT_CACHE_SECONDS = 10 * 60
FREE_TEXT_ARGUMENT = "free_text="


class CachedPerVersionNode(template.Node):
    def __init__(self, nodelist, name, key_parts, free_text):
        self.nodelist = nodelist
        self.name = name
        self.key_parts = key_parts
        self.free_text = free_text

    def render(self, context) -> str:
        name = self.name.resolve(context)
        parts = [part.resolve(context) for part in self.key_parts]
        return cached(
            f"fragment:{name}",
            lambda: self.nodelist.render(context),
            *parts,
            timeout=FRAGMENT_CACHE_SECONDS,
            free_text=self.free_text.resolve(context) if self.free_text else "",
        )


@register.tag
def cached_per_version(parser, token) -> CachedPerVersionNode:
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError(f"{bits[0]} needs a name, then the values it varies by")
    free_text = [
        b.removeprefix(FREE_TEXT_ARGUMENT) for b in bits if b.startswith(FREE_TEXT_ARGUMENT)
    ]
    values = [b for b in bits[2:] if not b.startswith(FREE_TEXT_ARGUMENT)]
    nodelist = parser.parse(("endcached_per_version",))
    parser.delete_first_token()
    return CachedPerVersionNode(
        nodelist,
        parser.compile_filter(bits[1]),
        [parser.compile_filter(b) for b in values],
        parser.compile_filter(free_text[0]) if free_text else None,
    )
