"""`{% cached_per_version "name" value … %}…{% endcached_per_version %}`: a fragment of a page
rendered once per read-model version for the validated values given, through the project's one
caching mechanism (`agents.services.read_model_cache.cached_per_version`).

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


class CachedPerVersionNode(template.Node):
    def __init__(self, nodelist, name, key_parts):
        self.nodelist = nodelist
        self.name = name
        self.key_parts = key_parts

    def render(self, context) -> str:
        name = self.name.resolve(context)
        parts = [part.resolve(context) for part in self.key_parts]
        return cached(
            f"fragment:{name}",
            lambda: self.nodelist.render(context),
            *parts,
            timeout=FRAGMENT_CACHE_SECONDS,
        )


@register.tag
def cached_per_version(parser, token) -> CachedPerVersionNode:
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError(f"{bits[0]} needs a name, then the values it varies by")
    nodelist = parser.parse(("endcached_per_version",))
    parser.delete_first_token()
    return CachedPerVersionNode(
        nodelist, parser.compile_filter(bits[1]), [parser.compile_filter(b) for b in bits[2:]]
    )
