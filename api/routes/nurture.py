"""The marketer's API: sequences, versions, funnels, A/B results, previews and dry-runs.

Reading is for staff (admin, marketer, rep); changing a sequence or a template is for admins and
marketers. A PUT takes the definition as JSON, or as YAML with `Content-Type: application/yaml`
(or text/yaml); it is checked in full before anything is stored, so a rejected request changes
nothing. The marketer's pages (`/marketing`) are served by `api.routes.marketing`.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from sqlalchemy.orm import Session

from api.auth import Principal
from api.deps import ResourcesDep, SessionDep, require
from api.schemas import error_responses
from api.schemas_nurture import (
    AbOut,
    DryRunIn,
    DryRunOut,
    FunnelOut,
    LeadMatchOut,
    PreviewOut,
    SavedOut,
    SequenceListItemOut,
    SequenceOut,
    SequenceStateOut,
    SequenceVersionOut,
    SplitOut,
    StepOut,
    TemplateIn,
    TemplateOut,
    TemplateSavedOut,
    VersionOut,
)
from leads.models import utcnow
from leads.nurture_models import TEMPLATE_NAME_MAX
from nurture import sequences, stats
from nurture.definition import Sequence
from nurture.dry_run import dry_run
from nurture.errors import InvalidSequence
from nurture.graph import successors
from nurture.preview import describe_step, find_leads, preview_step
from nurture.sequence_file import MAX_FILE_BYTES
from nurture.significance import VERDICT_RULE
from nurture.template_file import check_template
from nurture.templates import get_template, list_templates, save_template

router = APIRouter(prefix="/v1/nurture", tags=["nurture"])
Reader = Annotated[Principal, Depends(require("admin", "marketer", "rep"))]
Editor = Annotated[Principal, Depends(require("admin", "marketer"))]
_ERRORS = error_responses(401, 403, 404, 422)
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")
Key = Annotated[str, Path(max_length=100, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
TemplateName = Annotated[str, Path(max_length=TEMPLATE_NAME_MAX, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
VersionQuery = Annotated[int | None, Query(ge=1, description="a version; all when absent")]


def _actor(principal: Principal) -> str:
    return f"{principal.role} key {principal.name}"


def _steps(sequence: Sequence) -> list[StepOut]:
    return [
        StepOut(
            id=s.id,
            kind=type(s).__name__.removesuffix("Step").lower(),
            summary=describe_step(s),
            template=getattr(s, "template", None),
            goes_to=list(successors(s)),
        )
        for s in sequence.steps
    ]


@router.get(
    "/sequences",
    response_model=list[SequenceListItemOut],
    summary="Every sequence: status, versions, enrollments, conversion, last week's sends",
    responses=_ERRORS,
)
def get_sequences(session: SessionDep, principal: Reader) -> list[SequenceListItemOut]:
    """List the sequences by key."""
    rows = stats.overview(session, now=utcnow())
    return [SequenceListItemOut.model_validate(r) for r in rows]


@router.get(
    "/sequences/{key}",
    response_model=SequenceOut,
    summary="A sequence: the latest version's definition and steps, and every version",
    responses=_ERRORS,
)
def get_sequence(key: Key, session: SessionDep, principal: Reader) -> SequenceOut:
    """Return the sequence with its latest definition."""
    row = sequences.get_sequence(session, key=key)
    number, steps = sequences.load_version(session, key=key)
    return SequenceOut(
        key=key,
        name=row.name,
        description=steps.description,
        goal=steps.goal,
        exit_on=sorted(steps.exit_on),
        active=row.active,
        latest_version=number,
        definition=sequences.definition_of(session, key=key, version=number),
        steps=_steps(steps),
        versions=[VersionOut.model_validate(v) for v in sequences.versions(session, key=key)],
    )


@router.get(
    "/sequences/{key}/versions/{version}",
    response_model=SequenceVersionOut,
    summary="One version of a sequence, as it was stored",
    responses=_ERRORS,
)
def get_version(
    key: Key,
    version: Annotated[int, Path(ge=1)],
    session: SessionDep,
    principal: Reader,
) -> SequenceVersionOut:
    """Return a stored version's definition and steps."""
    row = sequences.get_sequence(session, key=key)
    number, steps = sequences.load_version(session, key=key, version=version)
    info = next(v for v in sequences.versions(session, key=key) if v.version == number)
    return SequenceVersionOut(
        key=key,
        version=number,
        latest_version=row.latest_version,
        definition=sequences.definition_of(session, key=key, version=number),
        steps=_steps(steps),
        info=VersionOut.model_validate(info),
    )


async def _raw_body(request: Request) -> tuple[str, bytes]:
    """Return the request's media type and body (refusing a body too large to be a sequence)."""
    body = await request.body()
    if len(body) > MAX_FILE_BYTES:
        raise HTTPException(413, f"a sequence is at most {MAX_FILE_BYTES // 1024} KiB")
    media = request.headers.get("content-type", "application/json").split(";")[0].strip()
    return media.lower(), body


RawBody = Annotated[tuple[str, bytes], Depends(_raw_body)]


def _definition(media: str, body: bytes, source: str) -> Any:
    """Return the body as data: JSON, or YAML for a YAML media type."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidSequence(source, ["the body is not UTF-8 text"]) from None
    if media in YAML_TYPES:
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise InvalidSequence(source, [f"not YAML: {exc}"]) from exc
    if media not in ("application/json", "text/json"):
        raise HTTPException(415, f"send JSON, or YAML as {' or '.join(YAML_TYPES[::2])}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidSequence(source, [f"not JSON: {exc.msg} at line {exc.lineno}"]) from exc


def _check(session: Session, data: Any, *, key: str, source: str) -> Any:
    """Check the definition and that its key is the path's; every problem in one error."""
    mismatch = []
    if isinstance(data, dict) and data.get("key") != key:
        mismatch = [f"key: the body says {data.get('key')!r} but the path says {key!r}"]
    try:
        parsed = sequences.check(session, data, source=source)
    except InvalidSequence as exc:
        raise InvalidSequence(source, [*mismatch, *exc.problems]) from exc
    if mismatch:
        raise InvalidSequence(source, mismatch)
    return parsed


@router.put(
    "/sequences/{key}",
    response_model=SavedOut,
    status_code=201,
    summary="Save a definition (JSON or YAML) as the next version; 200 when it is unchanged",
    responses={200: {"model": SavedOut, "description": "unchanged"}, **_ERRORS},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "application/yaml": {"schema": {"type": "string"}},
            },
        }
    },
)
def put_sequence(
    key: Key, raw: RawBody, response: Response, session: SessionDep, principal: Editor
) -> SavedOut:
    """Check and store the definition; running enrollments stay on their version."""
    source = f"PUT /v1/nurture/sequences/{key}"
    parsed = _check(session, _definition(*raw, source), key=key, source=source)
    saved = sequences.save_sequence(
        session, parsed, source=source, actor=_actor(principal), at=utcnow()
    )
    if not saved.created:
        response.status_code = 200
    return SavedOut(
        key=saved.key, version=saved.version, created=saved.created, content_hash=saved.content_hash
    )


def _set_active(session: Session, key: str, principal: Principal, active: bool) -> SequenceStateOut:
    sequences.set_active(session, key=key, active=active, actor=_actor(principal), at=utcnow())
    return SequenceStateOut(key=key, active=active)


@router.post(
    "/sequences/{key}/pause",
    response_model=SequenceStateOut,
    summary="Pause a sequence: no new enrollments; running ones go on",
    responses=_ERRORS,
)
def post_pause(key: Key, session: SessionDep, principal: Editor) -> SequenceStateOut:
    """Pause the sequence."""
    return _set_active(session, key, principal, False)


@router.post(
    "/sequences/{key}/resume",
    response_model=SequenceStateOut,
    summary="Resume a paused sequence",
    responses=_ERRORS,
)
def post_resume(key: Key, session: SessionDep, principal: Editor) -> SequenceStateOut:
    """Resume the sequence."""
    return _set_active(session, key, principal, True)


@router.get(
    "/sequences/{key}/funnel",
    response_model=FunnelOut,
    summary="Per step: entered, sent, clicked, converted, exited, waiting (distinct enrollments)",
    responses=_ERRORS,
)
def get_funnel(
    key: Key, session: SessionDep, principal: Reader, version: VersionQuery = None
) -> FunnelOut:
    """Return the funnel of one version, or of every version."""
    return FunnelOut.model_validate(stats.funnel(session, key=key, version=version))


@router.get(
    "/sequences/{key}/ab",
    response_model=AbOut,
    summary="A/B splits: per variant enrolled, clicked, converted, the test and the verdict",
    responses=_ERRORS,
)
def get_ab(key: Key, session: SessionDep, principal: Reader, version: VersionQuery = None) -> AbOut:
    """Return every split's results and verdict."""
    splits = stats.ab_results(session, key=key, version=version)
    return AbOut(
        key=key,
        version=version,
        rule=VERDICT_RULE,
        splits=[SplitOut.model_validate(s) for s in splits],
    )


@router.get(
    "/sequences/{key}/steps/{step_id}/preview",
    response_model=PreviewOut,
    summary="An email step rendered for a lead: subject, text and HTML (nothing is sent)",
    responses=_ERRORS,
)
def get_preview(
    key: Key,
    step_id: Annotated[str, Path(max_length=100)],
    lead_id: Annotated[int, Query(ge=1)],
    resources: ResourcesDep,
    session: SessionDep,
    principal: Reader,
    version: VersionQuery = None,
) -> PreviewOut:
    """Render the step's template for the lead; 422 names what fails for this lead."""
    preview = preview_step(
        session,
        key=key,
        step_id=step_id,
        lead_id=lead_id,
        config=resources.nurture,
        catalog=resources.agent().catalog,
        version=version,
    )
    return PreviewOut.model_validate(preview)


@router.post(
    "/sequences/{key}/dry-run",
    response_model=DryRunOut,
    summary="Simulate the sequence for sampled leads over days; nothing is written",
    responses=_ERRORS,
)
def post_dry_run(
    key: Key, body: DryRunIn, resources: ResourcesDep, session: SessionDep, principal: Reader
) -> DryRunOut:
    """Run the engine's steps on a simulated clock for the sample and report what would happen."""
    result = dry_run(
        session,
        key=key,
        now=utcnow(),
        config=resources.nurture,
        days=body.days,
        sample=body.sample,
        lead_ids=body.lead_ids,
        version=body.version,
        seed=body.seed,
    )
    session.rollback()  # a dry-run reads only; nothing of it may be committed
    return DryRunOut.model_validate(result)


@router.get(
    "/leads",
    response_model=list[LeadMatchOut],
    summary="Leads whose email contains the text, to preview an email for",
    responses=_ERRORS,
)
def get_leads(
    email: Annotated[str, Query(min_length=1, max_length=200)],
    session: SessionDep,
    principal: Reader,
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> list[LeadMatchOut]:
    """Find leads by email."""
    return [LeadMatchOut.model_validate(m) for m in find_leads(session, email=email, limit=limit)]


@router.get(
    "/templates",
    response_model=list[TemplateOut],
    summary="The email template library, by name",
    responses=_ERRORS,
)
def get_templates(session: SessionDep, principal: Reader) -> list[TemplateOut]:
    """List the templates."""
    return [TemplateOut.model_validate(t) for t in list_templates(session)]


@router.get(
    "/templates/{name}",
    response_model=TemplateOut,
    summary="One email template's subject, text and HTML",
    responses=_ERRORS,
)
def get_one_template(name: TemplateName, session: SessionDep, principal: Reader) -> TemplateOut:
    """Return the template."""
    return TemplateOut.model_validate(get_template(session, name=name))


@router.put(
    "/templates/{name}",
    response_model=TemplateSavedOut,
    status_code=201,
    summary="Save a template (checked against sample leads); 200 when it is unchanged",
    responses={200: {"model": TemplateSavedOut, "description": "unchanged"}, **_ERRORS},
)
def put_template(
    name: TemplateName,
    body: TemplateIn,
    response: Response,
    resources: ResourcesDep,
    session: SessionDep,
    principal: Editor,
) -> TemplateSavedOut:
    """Check and store the template; sends render its current content when they go out."""
    template = check_template(
        name,
        subject=body.subject,
        text=body.text,
        html=body.html,
        catalog=resources.agent().catalog,
    )
    saved = save_template(session, template, actor=_actor(principal), at=utcnow())
    if not saved.changed:
        response.status_code = 200
    return TemplateSavedOut.model_validate(saved)
