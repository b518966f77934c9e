"""The member categories in the admin: the built-in list, the network's own, adding one.

A coordinator types a category in words (German and English labels); the
page shows the slug it becomes and the nearest categories that exist
already ("Check"), then adds it ("Add").  The slug rule is said on the page
and in every message about a bad slug (``network/categories.py``).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from widget_server.core.collation import sorted_german
from widget_server.core.errors import ConflictError, ValidationError
from widget_server.network import audit, categories
from widget_server.web.endpoints.admin.base import actor, lang_of, render
from widget_server.web.endpoints.guards import form_of, form_text, redirect, refresh
from widget_server.web.runtime import runtime_of


async def categories_page(
    request: Request,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    check: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    storage = runtime_of(request).storage
    lang = lang_of(request)
    await categories.load(storage)
    used = await storage.category_member_counts()  # not every member read whole
    rows = sorted_german(
        (
            {
                "slug": slug,
                "de": de,
                "en": en,
                "builtin": categories.is_builtin(slug),
                "members": used.get(slug, 0),
            }
            for slug, (de, en) in categories.all_labels().items()
        ),
        key=lambda r: str(r["de"] if lang == "de" else r["en"]),
    )
    return render(
        request,
        "categories.html",
        {
            "section": "categories",
            "rows": rows,
            "errors": errors or {},
            "values": values or {},
            "check": check,
            "rule": categories.SLUG_RULE,
        },
        status=status,
    )


async def category_add(request: Request) -> Response:
    storage = runtime_of(request).storage
    form = form_of(request)
    values = {f: form_text(form, f).strip() for f in ("label_de", "label_en", "slug")}
    lang = lang_of(request)
    if form_text(form, "action") == "check":
        slug = values["slug"] or categories.slug_for(values["label_de"])
        nearest = [
            (s, categories.category_label(s, lang))
            for s in categories.suggest(values["label_de"] or values["slug"], lang)
        ]
        if values["label_en"]:
            for s in categories.suggest(values["label_en"], lang):
                if s not in [n[0] for n in nearest]:
                    nearest.append((s, categories.category_label(s, lang)))
        check = {"slug": slug, "valid": categories.is_category(slug), "nearest": nearest}
        return await categories_page(request, values={**values, "slug": slug}, check=check)
    try:
        added = await categories.add_category(
            storage, values["slug"], values["label_de"], values["label_en"], actor(request)
        )
    except ValidationError as exc:
        return await categories_page(
            request, errors={exc.field: exc.reason}, values=values, status=422
        )
    except ConflictError:
        return await categories_page(
            request, errors={"slug": "category_taken"}, values=values, status=409
        )
    await audit.record(
        storage,
        actor(request),
        "category.add",
        f"category:{added.slug}",
        f"{added.label_de} / {added.label_en}",
    )
    await refresh(request)
    return redirect(request, "admin_categories", done="category_added")
