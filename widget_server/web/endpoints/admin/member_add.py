"""Adding members in the admin: one at a time with every field, or many from a CSV file.

One member: the same fields as ``widget-server member add`` plus the logo;
the slug is made from the name unless given (``collation.slugify``).  Many:
the list a coordinator keeps in a spreadsheet, saved as CSV (or pasted),
checked row by row by ``network/member_import.py`` exactly as the CLI's
``member import`` does; the first step shows what would be created and every
row's errors, and writes nothing; "Import" sends the same text again and
writes the good rows in one transaction.  Everything is in the audit log.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from widget_server.core.collation import slugify
from widget_server.core.errors import ConflictError, ValidationError
from widget_server.network import audit, categories
from widget_server.network import services as network
from widget_server.network.logos import MAX_BYTES, check_logo
from widget_server.network.member_import import FIELDS, import_members, read_records
from widget_server.web.endpoints.admin.base import actor, lang_of, render, themes_by_name
from widget_server.web.endpoints.guards import form_of, form_text, redirect, refresh
from widget_server.web.runtime import runtime_of

ADD_FIELDS = ("slug", "name", "website", "description", "category", "town", "postal_code")
MAX_IMPORT = 1_000_000  # characters of CSV (a few thousand members)
EXAMPLE_CSV = (
    "slug,name,website,category,town,postal_code,themes\n"
    "blumen-jansen,Blumen Jansen,https://blumen-jansen.example/,flowers,Heide,25746,hochzeit\n"
)


async def new_page(
    request: Request,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    storage = runtime_of(request).storage
    lang = lang_of(request)
    values = {"status": "active", "themes": [], **(values or {})}
    themes = await themes_by_name(storage, lang)
    return render(
        request,
        "member_new.html",
        {
            "section": "members",
            "values": values,
            "errors": errors or {},
            "categories": categories.choices(lang, values.get("category", "")),
            "themes": themes,
            "logo_max_kb": MAX_BYTES // 1024,
        },
        status=status,
    )


async def create(request: Request) -> Response:
    storage = runtime_of(request).storage
    form = form_of(request)
    values: dict[str, Any] = {f: form_text(form, f).strip() for f in ADD_FIELDS}
    values["domains"] = form_text(form, "domains")
    values["themes"] = [t for t in form.getlist("themes") if isinstance(t, str)]
    values["status"] = form_text(form, "status") or "active"
    slug = values["slug"] or slugify(values["name"])
    upload = form.get("logo")
    logo_data = b""
    if isinstance(upload, UploadFile) and upload.filename:
        logo_data = await upload.read(MAX_BYTES + 1)
        try:
            check_logo(0, logo_data)  # before anything is written
        except ValidationError as exc:
            return await new_page(request, errors={"logo": exc.reason}, values=values, status=422)
    extra = [d.strip() for d in values["domains"].replace(",", "\n").splitlines() if d.strip()]
    data = network.MemberInput(
        slug=slug,
        name=values["name"],
        website=values["website"],
        description=values["description"],
        category=values["category"],
        town=values["town"],
        postal_code=values["postal_code"],
        domains=tuple(extra),
        themes=tuple(values["themes"]),
        status=values["status"] if values["status"] in ("active", "pending", "paused") else "",  # type: ignore[arg-type]
    )
    try:
        member = await network.add_member(storage, data)
    except ValidationError as exc:
        return await new_page(request, errors={exc.field: exc.reason}, values=values, status=422)
    except ConflictError:
        return await new_page(
            request, errors={"slug": "slug_taken"}, values={**values, "slug": slug}, status=409
        )
    detail = f"{member.name}, {member.status}, themes: {', '.join(values['themes']) or '–'}"
    await audit.record(storage, actor(request), "member.add", f"member:{member.slug}", detail)
    if logo_data:
        await network.set_logo(storage, member.slug, logo_data)
        await audit.record(storage, actor(request), "member.logo", f"member:{member.slug}")
    await refresh(request)
    return redirect(request, "admin_member", slug=member.slug, done="member_added")


async def import_page(
    request: Request,
    *,
    errors: dict[str, str] | None = None,
    text: str = "",
    report: Any = None,
    status: int = 200,
) -> Response:
    storage = runtime_of(request).storage
    return render(
        request,
        "member_import.html",
        {
            "section": "members",
            "errors": errors or {},
            "text": text,
            "report": report,
            "fields": FIELDS,
            "example": EXAMPLE_CSV,
            "themes": [t.slug for t in await storage.list_themes()],
            "category_label": lambda slug: categories.category_label(slug, lang_of(request)),
        },
        status=status,
    )


async def import_post(request: Request) -> Response:
    storage = runtime_of(request).storage
    form = form_of(request)
    upload = form.get("file")
    text = form_text(form, "csv")
    if isinstance(upload, UploadFile) and upload.filename:
        raw = await upload.read(MAX_IMPORT + 1)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            return await import_page(request, errors={"csv": "not_utf8"}, status=422)
    if len(text) > MAX_IMPORT:
        return await import_page(request, errors={"csv": "too_long"}, status=422)
    if not text.strip():
        return await import_page(request, errors={"csv": "no_file"}, status=422)
    try:
        records = read_records(text.lstrip("\ufeff"), "csv")
    except ValidationError as exc:
        return await import_page(
            request, errors={"csv": f"{exc.field}: {exc.reason}"}, text=text, status=422
        )
    write = form_text(form, "action") == "import"
    try:
        report = await import_members(storage, records, skip_invalid=True, dry_run=not write)
    except ConflictError as exc:
        return await import_page(request, errors={"csv": str(exc)}, text=text, status=409)
    if not write:
        return await import_page(request, text=text, report=report)
    if report.imported:
        await audit.record(
            storage,
            actor(request),
            "member.import",
            "members",
            f"{report.imported} imported, {report.skipped} rows left out",
        )
        await refresh(request)
    return redirect(request, "admin_members", done="members_imported")
