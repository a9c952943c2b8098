"""The results page: a plain GET form's answer, rendered on the server."""

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from search.backends import MAX_QUERY_CHARS, parse_query, search


# Not a reader_page: the answer depends on the query string, which the page cache ignores.
@require_safe
async def results(request: HttpRequest) -> HttpResponse:
    user = await request.auser()
    request.user = user  # the header's staff link reads it
    raw = request.GET.get("q", "")
    query = parse_query(raw)
    include_drafts = user.is_active and user.is_staff
    hits = await sync_to_async(search)(query.text, include_drafts=include_drafts)
    context = {
        "query": query,
        "hits": hits,
        "searched": bool(query.terms),
        "max_query_chars": MAX_QUERY_CHARS,
    }
    return render(request, "search/results.html", context)
