"""Writes to the grid tree (G1), its roster (G2) and its history (G5).

Every write is audited, records a GridHistory row (before/after), may be marked as a
major adjustment (重大调整 → MajorAdjustment for reporting and disclosure), bumps the
point→grid index version, and tells the apps above (entities) when boundaries moved.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import shapely
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from envgrid.core.audit import audit_record, snapshot
from envgrid.core.errors import ApplicationError, PermissionDeniedError
from envgrid.core.safeparse import ParseFailed, check_upload_size, run_isolated
from envgrid.org.models import Person, Unit
from envgrid.org.selectors import actor_for

from . import hooks
from .coords import WGS84, UnknownCRS, crs_from_geojson, geometry_to_wgs84, normalize_crs
from .geo import (
    OVERLAP_TOLERANCE_M2,
    area_m2,
    outside_area_m2,
    overlap_area_m2,
    parse_boundary,
    to_geojson,
)
from .index import bump_version
from .models import (
    SINGLE_HOLDER_ROLES,
    Grid,
    GridAssignment,
    GridHistory,
    GridRole,
    HistoryKind,
    MajorAdjustment,
    StaffingRule,
)
from .policies import grid_policy


# ------------------------------------------------------------------------ history
def _actor_repr(actor: Any) -> str:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return "system"
    person = getattr(actor, "person", None)
    return f"{person.name}（{actor.get_username()}）" if person else actor.get_username()


def history_record(
    *,
    grid: Grid,
    kind: str,
    summary: str,
    actor: Any,
    before: Any = None,
    after: Any = None,
    major: bool = False,
    major_summary: str = "",
    entity_id: int | None = None,
) -> GridHistory:
    """Append one history row; a major one also creates the MajorAdjustment record."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    now = timezone.now()
    row = GridHistory.objects.create(
        grid=grid,
        kind=kind,
        summary=summary[:500],
        before=before,
        after=after,
        actor=user,
        actor_repr=_actor_repr(actor),
        at=now,
        is_major=major,
        entity_id=entity_id,
    )
    if major:
        adjustment = MajorAdjustment.objects.create(
            grid=grid,
            history=row,
            kind=kind,
            summary=(major_summary or summary)[:500],
            before=before,
            after=after,
            made_by=user,
            made_at=now,
        )
        audit_record(
            actor=actor,
            action="grid.major_adjustment",
            obj=adjustment,
            after=snapshot(adjustment, ["grid", "kind", "summary", "made_at"]),
        )
        hooks.major_adjustment_created(adjustment)
    return row


def history_record_many(entries: Iterable[dict[str, Any]], *, actor: Any) -> int:
    """Append many ordinary (not major) history rows at once, for bulk writes such as an
    entity import; each entry holds history_record's grid, kind, summary, before, after
    and entity_id. Returns how many rows were written. Nothing else is written: no audit
    entry (the caller audits the bulk write) and no index version (no boundary moves).

    On PostgreSQL the rows go in by COPY: `bulk_create`'s parameters were quoted value by
    value on the client, and the INSERT was 37 % of an import's write (docs/performance.md
    figure 5)."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    actor_repr = _actor_repr(actor)
    now = timezone.now()
    if connection.vendor == "postgresql":
        user_id = user.pk if user is not None else None
        n = 0
        with connection.cursor() as cur:
            copy = cur.copy(
                f"COPY {GridHistory._meta.db_table} (grid_id, kind, summary, before, after, "
                "actor_id, actor_repr, at, is_major, entity_id) FROM STDIN"
            )
            with copy as cp:
                for e in entries:
                    before, after = e.get("before"), e.get("after")
                    cp.write_row(
                        (
                            e["grid"].pk,
                            e["kind"],
                            e["summary"][:500],
                            None if before is None else json.dumps(before, ensure_ascii=False),
                            None if after is None else json.dumps(after, ensure_ascii=False),
                            user_id,
                            actor_repr,
                            now,
                            False,
                            e.get("entity_id"),
                        )
                    )
                    n += 1
        return n
    rows = [
        GridHistory(
            grid=e["grid"],
            kind=e["kind"],
            summary=e["summary"][:500],
            before=e.get("before"),
            after=e.get("after"),
            actor=user,
            actor_repr=actor_repr,
            at=now,
            is_major=False,
            entity_id=e.get("entity_id"),
        )
        for e in entries
    ]
    return len(GridHistory.objects.bulk_create(rows, batch_size=2000))


def _require_major_summary(major: bool, summary: str) -> None:
    if major and not summary.strip():
        raise ApplicationError(
            _("重大调整须写明调整说明。"),
            code="major_summary_required",
            fields={"summary": [_("必填")]},
        )


# ------------------------------------------------------------------ import (G1)
class GridImportError(ApplicationError):
    """The whole file is refused; `fields["errors"]` lists every problem by feature."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        first = errors[0]["message"] if errors else ""
        super().__init__(
            _("GeoJSON 导入被拒绝，共 %(n)d 个问题，未写入任何数据。首个问题：%(first)s")
            % {"n": len(errors), "first": f"{errors[0]['feature']}：{first}" if errors else ""},
            code="geojson_invalid",
            fields={"errors": errors},
        )
        self.errors = errors


@dataclass
class _Node:
    code: str
    name: str
    level: int
    parent_code: str | None
    owner: Unit | None
    geom: BaseGeometry | None
    grid: Grid | None = None  # the stored grid with this code, if any
    in_file: bool = False
    label: str = ""
    # In the file with a new or moved boundary (set by _validate_tree): the feature that
    # causes an overlap, not a grid the file merely repeats unchanged.
    moved: bool = False


@dataclass
class ImportResult:
    created: list[Grid] = field(default_factory=list)
    updated: list[Grid] = field(default_factory=list)
    unchanged: list[Grid] = field(default_factory=list)
    crs: str = WGS84  # the system the file's coordinates were given in (G3)


_PROPS = {
    "code": ("code", "编码", "网格编码"),
    "name": ("name", "名称", "网格名称"),
    "level": ("level", "层级"),
    "parent": ("parent", "parent_code", "上级", "上级网格编码"),
    "owner": ("owner", "owner_unit", "owner_code", "网格主体", "网格主体单位"),
}


def _prop(props: dict[str, Any], key: str) -> Any:
    for alias in _PROPS[key]:
        if alias in props:
            return props[alias]
    return None


def _load_json(data: Any) -> Any:
    if isinstance(data, (bytes, bytearray)):
        data = data.decode("utf-8-sig")
    if isinstance(data, str):
        return json.loads(data)
    return data


class _Errors(list):
    def add(self, feature: str, code: str, message: str, **extra: Any) -> None:
        self.append({"feature": feature, "code": code, "message": message, **extra})


def _file_crs(fc: Any, option: str | None, errors: _Errors) -> str | None:
    """G3: the coordinate system of the file — its GeoJSON `crs` member, or the option
    given with the import; both must agree, and it must be one we convert. None (with
    the reason in `errors`) when refused."""
    declared = option_name = None
    member = fc.get("crs") if isinstance(fc, dict) else None
    try:
        declared = crs_from_geojson(member)
    except UnknownCRS:
        errors.add(
            "crs",
            "crs_unknown",
            f"文件声明的坐标系 {json.dumps(member, ensure_ascii=False)} 无法识别；"
            "支持 WGS84、CGCS2000、GCJ-02、BD-09",
        )
        return None
    if option is not None and str(option).strip():
        try:
            option_name = normalize_crs(option)
        except UnknownCRS:
            errors.add(
                "crs",
                "crs_unknown",
                f"坐标系 {option!r} 无法识别；支持 WGS84、CGCS2000、GCJ-02、BD-09",
            )
            return None
    if declared and option_name and declared != option_name:
        errors.add(
            "crs",
            "crs_conflict",
            f"文件声明的坐标系为 {declared.upper()}，与导入时选择的 {option_name.upper()} 不一致",
        )
        return None
    return declared or option_name or WGS84


def _parse_features(fc: Any, errors: _Errors, crs: str = WGS84) -> list[_Node]:
    if not isinstance(fc, dict) or fc.get("type") != "FeatureCollection":
        errors.add("-", "not_feature_collection", "文件须为 GeoJSON FeatureCollection")
        return []
    features = fc.get("features")
    if not isinstance(features, list) or not features:
        errors.add("-", "not_feature_collection", "FeatureCollection 中没有要素（features）")
        return []
    units_by_code = {u.code: u for u in Unit.objects.all()}
    units_by_name: dict[str, list[Unit]] = defaultdict(list)
    for u in units_by_code.values():
        units_by_name[u.name].append(u)
    nodes: list[_Node] = []
    seen: dict[str, str] = {}
    for i, feature in enumerate(features, start=1):
        label = f"要素 #{i}"
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            errors.add(label, "feature_invalid", "不是 GeoJSON Feature")
            continue
        props = feature.get("properties") or {}
        code = str(_prop(props, "code") or "").strip()
        if code:
            label = f"要素 #{i}（{code}）"
        ok = True
        name = str(_prop(props, "name") or "").strip()
        for key, value in (("code", code), ("name", name)):
            if not value:
                errors.add(label, "property_missing", f"缺少属性 {key}")
                ok = False
        if len(code) > 50:
            errors.add(label, "property_invalid", "网格编码超过 50 个字符")
            ok = False
        raw_level = _prop(props, "level")
        try:
            level = int(raw_level)
            if level < 0 or str(raw_level).strip() != str(level):
                raise ValueError
        except (TypeError, ValueError):
            errors.add(label, "level_invalid", f"层级须为非负整数，实际为 {raw_level!r}")
            ok = False
            level = -1
        if code and code in seen:
            errors.add(
                label, "duplicate_code", f"网格编码 {code} 在文件中重复（另见 {seen[code]}）"
            )
            ok = False
        elif code:
            seen[code] = label
        owner_key = str(_prop(props, "owner") or "").strip()
        owner = units_by_code.get(owner_key)
        if owner is None and len(units_by_name.get(owner_key, [])) == 1:
            owner = units_by_name[owner_key][0]
        if owner is None:
            errors.add(
                label,
                "unknown_owner",
                f"网格主体单位 {owner_key!r} 不存在（请填写单位代码）"
                if owner_key
                else "缺少网格主体单位（owner）",
            )
            ok = False
        geom, problem = parse_boundary(feature.get("geometry"))
        if problem is not None:
            errors.add(label, problem.code, problem.message)
            ok = False
        elif geom is not None and crs != WGS84:
            geom = geometry_to_wgs84(geom, crs)  # G3: everything stored is WGS84
        parent_code = _prop(props, "parent")
        parent_code = str(parent_code).strip() if parent_code not in (None, "") else None
        if ok or code:
            nodes.append(
                _Node(
                    code=code,
                    name=name,
                    level=level,
                    parent_code=parent_code,
                    owner=owner,
                    geom=geom,
                    in_file=True,
                    label=label,
                )
            )
    return nodes


def _validate_tree(nodes: list[_Node], errors: _Errors, actor: Any) -> dict[str, _Node]:
    """Check the tree as it would be after the change: parents known, levels, no cycles,
    children inside parents, siblings not overlapping. Returns the final state by code."""
    stored = {g.code: g for g in Grid.objects.filter(is_active=True).select_related("parent")}
    stored_geoms: dict[str, BaseGeometry] = {}

    def stored_node(g: Grid) -> _Node:
        if g.code not in stored_geoms:
            stored_geoms[g.code] = shape(g.boundary)
        return _Node(
            code=g.code,
            name=g.name,
            level=g.level,
            parent_code=g.parent.code if g.parent is not None else None,
            owner=None,
            geom=stored_geoms[g.code],
            grid=g,
            label=f"已有网格 {g.code}",
        )

    final: dict[str, _Node] = {}
    file_nodes = {n.code: n for n in nodes if n.code}
    for code, g in stored.items():
        if code not in file_nodes:
            final[code] = stored_node(g)
    for code, n in file_nodes.items():
        n.grid = stored.get(code)
        final[code] = n
        n.moved = n.geom is not None and (
            n.grid is None
            or not shape(n.grid.boundary).equals_exact(n.geom, 1e-9)
            or n.grid.parent_id != (stored[n.parent_code].pk if n.parent_code in stored else None)
        )

    acting = actor_for(actor)
    for n in file_nodes.values():
        if n.parent_code is not None and n.parent_code not in final:
            errors.add(n.label, "unknown_parent", f"上级网格 {n.parent_code} 不存在")
            continue
        parent = final.get(n.parent_code) if n.parent_code else None
        if parent is not None and n.level >= 0 and parent.level >= 0 and n.level <= parent.level:
            errors.add(
                n.label,
                "level_not_below_parent",
                f"层级 {n.level} 须大于上级网格 {parent.code} 的层级 {parent.level}",
            )
        # Walk up: a cycle would make the tree a loop.
        seen = {n.code}
        node = parent
        while node is not None:
            if node.code in seen:
                errors.add(n.label, "parent_cycle", "上级关系形成循环")
                break
            seen.add(node.code)
            node = final.get(node.parent_code) if node.parent_code else None
        if not acting.is_admin:
            if n.grid is not None:
                if not grid_policy.oversees(actor, n.grid):
                    errors.add(n.label, "permission_denied", "无权修改该网格")
            elif parent is None:
                errors.add(n.label, "permission_denied", "只有系统管理员可以设立顶级网格")
            elif parent.grid is not None and not grid_policy.oversees(actor, parent.grid):
                errors.add(n.label, "permission_denied", f"无权在网格 {parent.code} 下设立网格")

    # Children inside parents (G1), with the containment tolerance.
    children: dict[str | None, list[_Node]] = defaultdict(list)
    for n in final.values():
        children[n.parent_code].append(n)
    for n in file_nodes.values():
        parent = final.get(n.parent_code) if n.parent_code else None
        if parent is not None and n.geom is not None and parent.geom is not None:
            out = outside_area_m2(n.geom, parent.geom)
            if out > 0:
                errors.add(
                    n.label,
                    "not_inside_parent",
                    f"超出上级网格 {parent.code} 的边界，超出面积约 {out:,.1f} 平方米",
                    area_m2=round(out, 1),
                )
        if n.grid is not None and n.geom is not None:
            for child in children.get(n.code, []):
                if child.in_file or child.geom is None:
                    continue
                out = outside_area_m2(child.geom, n.geom)
                if out > 0:
                    errors.add(
                        n.label,
                        "child_outside",
                        f"新边界不再包含下级网格 {child.code}，超出面积约 {out:,.1f} 平方米",
                        area_m2=round(out, 1),
                    )

    # Siblings do not overlap (G1): every group with a changed member.
    touched = {n.parent_code for n in file_nodes.values()}
    for parent_code in touched:
        group = [c for c in children.get(parent_code, []) if c.geom is not None]
        if len(group) < 2 or not any(c.in_file for c in group):
            continue
        tree = shapely.STRtree([c.geom for c in group])
        left, right = tree.query([c.geom for c in group], predicate="intersects")
        for i, j in zip(left.tolist(), right.tolist(), strict=True):
            if i >= j or not (group[i].in_file or group[j].in_file):
                continue
            area = overlap_area_m2(group[i].geom, group[j].geom)
            if area > OVERLAP_TOLERANCE_M2:
                # Name the feature that causes the overlap: the one the file adds or
                # moves, not a grid it repeats unchanged nor one already stored.
                a, b = sorted((group[i], group[j]), key=lambda n: (not n.moved, not n.in_file))
                other = b.label if b.in_file else f"已有网格 {b.code}"
                errors.add(
                    a.label,
                    "siblings_overlap",
                    f"与同级网格 {b.code}（{other}）重叠，重叠面积约 {area:,.1f} 平方米",
                    area_m2=round(area, 1),
                    other=b.code,
                )
    return final


def _grid_state(grid: Grid) -> dict[str, Any]:
    return {
        "code": grid.code,
        "name": grid.name,
        "level": grid.level,
        "parent": grid.parent.code if grid.parent_id and grid.parent else None,
        "owner": grid.owner_unit.code if grid.owner_unit_id else None,
        "owner_name": grid.owner_unit.name if grid.owner_unit_id else None,
    }


def _topological(nodes: list[_Node]) -> list[_Node]:
    by_code = {n.code: n for n in nodes}
    done: set[str] = set()
    order: list[_Node] = []

    def visit(n: _Node) -> None:
        if n.code in done:
            return
        done.add(n.code)
        if n.parent_code in by_code:
            visit(by_code[n.parent_code])
        order.append(n)

    for n in nodes:
        visit(n)
    return order


@transaction.atomic
def grid_import_geojson(
    *,
    actor: Any,
    data: Any,
    major: bool = False,
    summary: str = "",
    leading_group: Any = None,
    crs: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Import a FeatureCollection (properties: code, name, level, parent, owner) all or
    nothing. A code that exists updates that grid; anything wrong anywhere refuses the
    whole file with every problem named by feature (G1).

    G3: the coordinates are in the system the file declares (GeoJSON `crs` member) or
    `crs` names (WGS84, CGCS2000, GCJ-02, BD-09; WGS84 when neither does); they are
    converted to WGS84 before any check. An unknown or contradictory system refuses
    the file."""
    if not grid_policy.can_import(actor):
        raise PermissionDeniedError(_("只有领导小组办公室或系统管理员可以导入网格。"))
    _require_major_summary(major, summary)
    errors = _Errors()
    try:
        if isinstance(data, (bytes, bytearray, str)):
            # A file: size-checked, then parsed in a child process with memory and time
            # limits (issue 16); a deep nesting is refused there, not a RecursionError here.
            check_upload_size(data)
            fc = run_isolated(_load_json, data)
        else:
            fc = _load_json(data)
    except (ValueError, UnicodeDecodeError) as exc:
        errors.add("-", "invalid_json", f"不是有效的 JSON：{exc}")
        raise GridImportError(errors) from None
    except ParseFailed as exc:
        errors.add("-", "invalid_json", f"不是有效的 JSON：{exc.message or exc.kind}")
        raise GridImportError(errors) from None
    file_crs = _file_crs(fc, crs, errors)
    if file_crs is None:
        raise GridImportError(errors)
    nodes = _parse_features(fc, errors, file_crs)
    if nodes:
        _validate_tree(nodes, errors, actor)
    if errors:
        raise GridImportError(errors)

    result = ImportResult(crs=file_crs)
    by_code: dict[str, Grid] = {}
    changed_ids: list[int] = []
    ordered = _topological(nodes)
    for i, n in enumerate(ordered):
        # A job (core.jobs) reports progress, and learns of a cancel: it raises, and the
        # whole import rolls back.
        if progress is not None:
            progress(i, len(ordered))
        assert n.geom is not None and n.owner is not None
        parent = None
        if n.parent_code:
            parent = by_code.get(n.parent_code) or Grid.objects.get(code=n.parent_code)
        boundary = to_geojson(n.geom)
        if n.grid is None:
            grid = Grid(
                code=n.code,
                name=n.name,
                level=n.level,
                parent=parent,
                owner_unit=n.owner,
                boundary=boundary,
                leading_group=leading_group if parent is None else None,
            )
            grid.save()
            after = _grid_state(grid)
            history_record(
                grid=grid,
                kind=HistoryKind.CREATED,
                summary=_("设立网格 %(name)s（%(code)s）") % {"name": n.name, "code": n.code},
                actor=actor,
                after={
                    **after,
                    "boundary": boundary,
                    "area_m2": round(area_m2(n.geom)),
                    "source_crs": file_crs,
                },
                major=major,
                major_summary=summary,
            )
            audit_record(actor=actor, action="grid.create", obj=grid, after=snapshot(grid))
            result.created.append(grid)
            changed_ids.append(grid.pk)
        else:
            grid = (
                Grid.objects.select_for_update(of=("self",))
                .select_related("parent", "owner_unit")
                .get(pk=n.grid.pk)
            )
            before_snap = snapshot(grid)
            before = _grid_state(grid)
            old_boundary = grid.boundary
            boundary_changed = not shape(old_boundary).equals_exact(n.geom, 0) or (
                shape(old_boundary).geom_type != n.geom.geom_type
            )
            grid.name, grid.level, grid.parent, grid.owner_unit = n.name, n.level, parent, n.owner
            grid.boundary = boundary
            after = _grid_state(grid)
            if not boundary_changed and after == before:
                result.unchanged.append(grid)
                by_code[n.code] = grid
                continue
            grid.save()
            if boundary_changed:
                history_record(
                    grid=grid,
                    kind=HistoryKind.BOUNDARY,
                    summary=_("边界调整（导入）：面积 %(a)s → %(b)s 平方米")
                    % {
                        "a": f"{area_m2(shape(old_boundary)):,.0f}",
                        "b": f"{area_m2(n.geom):,.0f}",
                    },
                    actor=actor,
                    before={"boundary": old_boundary},
                    after={"boundary": boundary},
                    major=major,
                    major_summary=summary,
                )
            if after != before:
                kind = (
                    HistoryKind.DIVISION
                    if after["parent"] != before["parent"]
                    else HistoryKind.INFO
                )
                history_record(
                    grid=grid,
                    kind=kind,
                    summary=_("网格信息调整（导入）"),
                    actor=actor,
                    before=before,
                    after=after,
                    major=major and not boundary_changed,
                    major_summary=summary,
                )
            audit_record(
                actor=actor,
                action="grid.update",
                obj=grid,
                before=before_snap,
                after=snapshot(grid),
            )
            result.updated.append(grid)
            changed_ids.append(grid.pk)
        by_code[n.code] = grid
    if progress is not None:
        progress(len(ordered), len(ordered))
    bump_version()
    hooks.boundaries_changed(changed_ids, actor)
    return result


# ------------------------------------------------------------- one grid's changes
@transaction.atomic
def grid_set_boundary(
    *, actor: Any, grid: Grid, boundary: Any, major: bool = False, summary: str = ""
) -> Grid:
    """Move one grid's boundary (G1 rules checked against parent, children and siblings;
    G5 history; entities re-derived)."""
    grid_policy.require_change(actor, grid, _("只有领导小组办公室可以调整网格边界。"))
    _require_major_summary(major, summary)
    grid = (
        Grid.objects.select_for_update(of=("self",))
        .select_related("parent", "owner_unit")
        .get(pk=grid.pk)
    )
    errors = _Errors()
    label = f"{grid.name}（{grid.code}）"
    geom, problem = parse_boundary(
        _load_json(boundary) if isinstance(boundary, (str, bytes)) else boundary
    )
    if problem is not None:
        raise ApplicationError(
            problem.message, code=problem.code, fields={"boundary": [problem.message]}
        )
    assert geom is not None
    node = _Node(
        code=grid.code,
        name=grid.name,
        level=grid.level,
        parent_code=grid.parent.code if grid.parent_id and grid.parent else None,
        owner=grid.owner_unit,
        geom=geom,
        in_file=True,
        label=label,
    )
    _validate_tree([node], errors, actor)
    if errors:
        first = errors[0]
        raise ApplicationError(
            first["message"],
            code=first["code"],
            fields={"boundary": [e["message"] for e in errors], "errors": errors},
        )
    old = grid.boundary
    before_snap = snapshot(grid)
    grid.boundary = to_geojson(geom)
    grid.save()
    history_record(
        grid=grid,
        kind=HistoryKind.BOUNDARY,
        summary=(summary or _("边界调整"))
        + _("（面积 %(a)s → %(b)s 平方米）")
        % {"a": f"{area_m2(shape(old)):,.0f}", "b": f"{area_m2(geom):,.0f}"},
        actor=actor,
        before={"boundary": old},
        after={"boundary": grid.boundary},
        major=major,
        major_summary=summary,
    )
    audit_record(
        actor=actor, action="grid.boundary", obj=grid, before=before_snap, after=snapshot(grid)
    )
    bump_version()
    hooks.boundaries_changed([grid.pk], actor)
    return grid


@transaction.atomic
def grid_update(
    *,
    actor: Any,
    grid: Grid,
    major: bool = False,
    summary: str = "",
    **data: Any,
) -> Grid:
    """Name, owner unit, written duties, minimum staff. Duties are the roster's business
    (owner units may edit them); name and owner are the office's."""
    allowed = {"name", "owner_unit", "duties", "min_staff"}
    unknown = set(data) - allowed
    if unknown:
        raise ApplicationError(
            _("不能修改这些字段：%s") % ", ".join(sorted(unknown)), code="invalid"
        )
    if set(data) - {"duties", "min_staff"}:
        grid_policy.require_change(actor, grid, _("只有领导小组办公室可以修改网格名称和主体单位。"))
    elif not grid_policy.can_view(actor, grid):
        grid_policy.require_change(actor, grid)
    elif not grid_policy.can_change_roster(actor, grid):
        raise PermissionDeniedError(_("无权修改该网格的职责。"))
    _require_major_summary(major, summary)
    grid = (
        Grid.objects.select_for_update(of=("self",))
        .select_related("parent", "owner_unit")
        .get(pk=grid.pk)
    )
    before_snap = snapshot(grid)
    before = {k: _plain(getattr(grid, k)) for k in data}
    for key, value in data.items():
        if key == "name" and not str(value).strip():
            raise ApplicationError(
                _("网格名称不能为空。"), code="invalid", fields={"name": [_("必填")]}
            )
        setattr(grid, key, value)
    after = {k: _plain(getattr(grid, k)) for k in data}
    if after == before:
        return grid
    grid.save()
    if "duties" in data and before.get("duties") != after.get("duties"):
        history_record(
            grid=grid,
            kind=HistoryKind.DUTIES,
            summary=summary or _("修改网格职责"),
            actor=actor,
            before={"duties": before["duties"]},
            after={"duties": after["duties"]},
            major=major,
            major_summary=summary,
        )
        major = False  # one major record per change
    rest_before = {k: v for k, v in before.items() if k != "duties"}
    rest_after = {k: v for k, v in after.items() if k != "duties"}
    if rest_before != rest_after:
        kind = HistoryKind.PEOPLE if set(rest_after) == {"min_staff"} else HistoryKind.INFO
        history_record(
            grid=grid,
            kind=kind,
            summary=summary or _("修改网格信息"),
            actor=actor,
            before=rest_before,
            after=rest_after,
            major=major,
            major_summary=summary,
        )
    audit_record(
        actor=actor, action="grid.update", obj=grid, before=before_snap, after=snapshot(grid)
    )
    return grid


def _plain(value: Any) -> Any:
    if isinstance(value, Unit):
        return {"id": value.pk, "code": value.code, "name": value.name}
    return value


def _person_brief(person: Person) -> dict[str, Any]:
    return {"id": person.pk, "name": person.name, "unit": person.unit.name, "title": person.title}


@transaction.atomic
def grid_assign(
    *,
    actor: Any,
    grid: Grid,
    role: str,
    person: Person,
    duties: str = "",
    major: bool = False,
    summary: str = "",
) -> GridAssignment:
    """Name a person in a role of a grid (G2). For the principal administrative leader and
    the grid head, the current holder is replaced (their assignment ends)."""
    if not grid_policy.can_view(actor, grid):
        grid_policy.require_change(actor, grid)
    if not grid_policy.can_change_roster(actor, grid):
        raise PermissionDeniedError(_("无权调整该网格的人员。"))
    if role not in GridRole.values:
        raise ApplicationError(
            _("未知的岗位：%s") % role, code="role_invalid", fields={"role": [_("无效")]}
        )
    if not person.is_active:
        raise ApplicationError(
            _("%s 已不在岗，不能任命。") % person.name,
            code="person_inactive",
            fields={"person": [_("不在岗")]},
        )
    _require_major_summary(major, summary)
    Grid.objects.select_for_update().filter(pk=grid.pk).first()  # serialise roster edits
    if GridAssignment.objects.filter(
        grid=grid, role=role, person=person, ended_at__isnull=True
    ).exists():
        raise ApplicationError(
            _("%(p)s 已是该网格的%(r)s。") % {"p": person.name, "r": GridRole(role).label},
            code="already_assigned",
            status=409,
        )
    now = timezone.now()
    replaced = []
    if role in SINGLE_HOLDER_ROLES:
        for old in (
            GridAssignment.objects.select_for_update(of=("self",))
            .filter(grid=grid, role=role, ended_at__isnull=True)
            .select_related("person", "person__unit")
        ):
            old.ended_at = now
            old.end_reason = _("由 %s 接任") % person.name
            old.save(update_fields=["ended_at", "end_reason", "updated_at"])
            replaced.append(_person_brief(old.person))
    assignment = GridAssignment.objects.create(
        grid=grid, role=role, person=person, duties=duties, started_at=now
    )
    label = GridRole(role).label
    history_record(
        grid=grid,
        kind=HistoryKind.PEOPLE,
        summary=summary
        or (
            _("%(r)s由 %(old)s 调整为 %(new)s")
            % {"r": label, "old": "、".join(p["name"] for p in replaced), "new": person.name}
            if replaced
            else _("任命%(r)s：%(new)s") % {"r": label, "new": person.name}
        ),
        actor=actor,
        before={"role": role, "persons": replaced},
        after={"role": role, "persons": [_person_brief(person)], "duties": duties},
        major=major,
        major_summary=summary,
    )
    audit_record(actor=actor, action="grid.assign", obj=assignment, after=snapshot(assignment))
    return assignment


@transaction.atomic
def grid_unassign(
    *, actor: Any, assignment: GridAssignment, reason: str, major: bool = False, summary: str = ""
) -> GridAssignment:
    grid = assignment.grid
    if not grid_policy.can_view(actor, grid):
        grid_policy.require_change(actor, grid)
    if not grid_policy.can_change_roster(actor, grid):
        raise PermissionDeniedError(_("无权调整该网格的人员。"))
    if not reason.strip():
        raise ApplicationError(
            _("请写明离任原因。"), code="reason_required", fields={"reason": [_("必填")]}
        )
    _require_major_summary(major, summary)
    assignment = (
        GridAssignment.objects.select_for_update(of=("self",))
        .select_related("person", "person__unit")
        .get(pk=assignment.pk)
    )
    if assignment.ended_at is not None:
        raise ApplicationError(_("该任职已结束。"), code="already_ended", status=409)
    before = snapshot(assignment)
    assignment.ended_at = timezone.now()
    assignment.end_reason = reason
    assignment.save(update_fields=["ended_at", "end_reason", "updated_at"])
    history_record(
        grid=grid,
        kind=HistoryKind.PEOPLE,
        summary=summary
        or _("%(r)s %(p)s 离任：%(why)s")
        % {"r": assignment.get_role_display(), "p": assignment.person.name, "why": reason},
        actor=actor,
        before={"role": assignment.role, "persons": [_person_brief(assignment.person)]},
        after={"role": assignment.role, "persons": [], "reason": reason},
        major=major,
        major_summary=summary,
    )
    audit_record(
        actor=actor,
        action="grid.unassign",
        obj=assignment,
        before=before,
        after=snapshot(assignment),
    )
    return assignment


@transaction.atomic
def grid_assignment_set_duties(
    *, actor: Any, assignment: GridAssignment, duties: str
) -> GridAssignment:
    """Rewrite the duties decomposed to one person (责任到人)."""
    grid = assignment.grid
    if not grid_policy.can_change_roster(actor, grid):
        raise PermissionDeniedError(_("无权调整该网格的人员职责。"))
    assignment = (
        GridAssignment.objects.select_for_update(of=("self",))
        .select_related("person")
        .get(pk=assignment.pk)
    )
    if assignment.duties == duties:
        return assignment
    before = assignment.duties
    assignment.duties = duties
    assignment.save(update_fields=["duties", "updated_at"])
    history_record(
        grid=grid,
        kind=HistoryKind.DUTIES,
        summary=_("修改 %(p)s 的个人职责") % {"p": assignment.person.name},
        actor=actor,
        before={"person": assignment.person.name, "duties": before},
        after={"person": assignment.person.name, "duties": duties},
    )
    audit_record(
        actor=actor,
        action="grid.assignment_duties",
        obj=assignment,
        before={"duties": before},
        after={"duties": duties},
    )
    return assignment


@transaction.atomic
def staffing_rule_set(*, actor: Any, level: int, min_staff: int) -> StaffingRule:
    if not actor_for(actor).is_admin and not actor_for(actor).is_office:
        raise PermissionDeniedError(_("只有领导小组办公室或系统管理员可以设定网格员配备要求。"))
    if min_staff < 0:
        raise ApplicationError(
            _("人数不能为负。"), code="invalid", fields={"min_staff": [_("无效")]}
        )
    rule, _created = StaffingRule.objects.select_for_update().get_or_create(level=level)
    before = snapshot(rule)
    rule.min_staff = min_staff
    rule.save()
    audit_record(
        actor=actor, action="grid.staffing_rule", obj=rule, before=before, after=snapshot(rule)
    )
    return rule
