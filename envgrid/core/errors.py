"""One error type for business rules, with a stable code (STYLE rule 6), and the one
vocabulary of those codes (issue 19, part 3).

Every refusal answers ``{code, canonical, message, fields}`` (docs/api.md, "Errors"):

- ``code`` is the name the raise site used. It never changes once published: API clients
  switch on it.
- ``canonical`` is that code's entry in :data:`VOCABULARY`. Where one refusal had grown
  several names (nine for "this status change is not allowed"), the older names are
  :data:`ALIASES` of one canonical code; ``canonical`` is what new clients should switch on
  and what new code raises.

docs/api.md's table is generated from :data:`VOCABULARY` and :data:`ALIASES`
(``python scripts/error_codes.py --write``); core/tests/test_error_codes.py checks that the
table is current and that every code the source raises is canonical or an alias.
"""

from __future__ import annotations

from typing import Any

# code -> (usual HTTP status, what the refusal says: the first message raised under it)
VOCABULARY: dict[str, tuple[int, str]] = {
    "absence_reason_required": (400, "%(unit)s 缺席，须写明缺席原因。"),
    "action_closed": (409, "行动已%(status)s，不能再修改。"),
    "adjustment_not_allowed": (400, "维持原结果时不能调整评分。"),
    "agenda_kind_invalid": (400, "第 %(i)s 项议题的类型无效。"),
    "agenda_required": (
        400,
        "联席会议须列明议题（部署、通报、调度、协调、督办或考核），不能没有议题。",
    ),
    "agenda_title_required": (400, "第 %(i)s 项议题缺少标题。"),
    "already_assigned": (409, "%(p)s 已是该网格的%(r)s。"),
    "already_decided": (409, "已作出移送决定。"),
    "already_drafted": (409, "该批次已有公开记录。"),
    "already_ended": (409, "该任职已结束。"),
    "already_finished": (409, "巡查已结束。"),
    "already_paused": (409, "该事项已在暂停中。"),
    "already_reported": (409, "本单位已报告完成，等待办公室核验。"),
    "already_revoked": (409, "该委托已撤销。"),
    "already_submitted": (409, "本期报告已报送。"),
    "already_supervised": (409, "该问题已督办。"),
    "already_voided": (409, "该记录已作废。"),
    "amount_invalid": (400, "延长时限须为正数。"),
    "approval_required": (
        403,
        "取消“涉嫌犯罪”标记须由领导小组办公室或领导审批，办理单位不能自行批准。",
    ),
    "approver_invalid": (400, "延期须经本单位负责人批准。"),
    "approver_required": (400, "批准人须为系统中登记的人员：请用关联了人员的账号操作。"),
    "assessment_exists": (409, "%(year)s年度考核已经启动。"),
    "assessment_finalised": (409, "考核已定档。"),
    "assessment_not_open": (409, "考核已进入审核，不能更换方案。"),
    "attendance_frozen": (409, "会议纪要已印发或会议已取消，出席情况不能再修改。"),
    "attendance_incomplete": (400, "以下单位的出席情况尚未登记：%(units)s"),
    "attendance_invalid": (400, "%(unit)s 的出席情况无效。"),
    "attendance_required": (400, "请登记至少一个单位的出席情况。"),
    "attribute_invalid": (400, "属性 %(a)s 的取值只能是：%(v)s。"),
    "attribute_required": (400, "缺少必填属性 %(a)s。"),
    "attribute_unknown": (400, "服务 %(s)s 没有属性 %(a)s。"),
    "backup_corrupt": (400, "备份文件已损坏。"),
    "backup_invalid": (400, "备份文件格式或版本不受支持。"),
    "backup_migrations": (400, "备份与当前数据库版本不符。"),
    "backup_target_not_empty": (400, "目标数据库不是空的。"),
    "bad_attribute": (400, "attribute 应为对象。"),
    "bad_date": (400, "%(n)s 不是 W3C 日期时间格式。"),
    "bad_request": (400, "请求无效。"),
    "bad_type": (400, "attribute[%(k)s] 的值类型不正确。"),
    "calendar_year_exists": (409, "%(year)s 年的日历已录入；如需更正请使用更正（PUT）。"),
    "campaign_document_required": (
        400,
        "上级部署的专项行动须写明部署层级（国家、省、市）和部署文件文号。",
    ),
    "case_exists": (409, "该问题已登记为案件。"),
    "case_final": (409, "案件已结案或已撤销，不能再修改。"),
    "category_invalid": (400, "请选择有效的类别。"),
    "certificate_not_valid": (400, "执法证无效。"),
    "check_mismatch": (400, "检查不属于该巡查。"),
    "clearance_not_found": (404, "没有待审批的取消标记申请。"),
    "clearance_pending": (409, "已有待办公室审批的取消标记申请。"),
    "concurrent_change": (409, "数据已被他人修改，请刷新后重试。"),
    "conflict": (409, "数据冲突：记录已存在或已被修改。"),
    "consultation_form_invalid": (400, "会商形式须为会商会议、电话会商或联合踏勘。"),
    "consultation_incomplete": (
        400,
        "以下参与单位尚未参加任何会商：%(names)s。须先会商，方可批准（E5）。",
    ),
    "consultation_required": (
        400,
        "跨部门联合执法行动须先记录参与单位的会商情况，方可批准（E5）。",
    ),
    "contact_invalid": (400, "联系方式格式不正确。"),
    "content_required": (400, "报送前须填写正文。"),
    "control_characters": (400, "输入含有控制字符。"),
    "convener_not_authorised": (
        403,
        "只有领导小组组长、副组长，或经委托授权的办公室主任可以召集领导小组联席会议。",
    ),
    "convener_not_member": (
        403,
        "成员单位联席会议须由领导小组成员单位的人员召集；%(unit)s 不是成员单位。",
    ),
    "convener_required": (400, "请指定召集人。"),
    "coord_system_unknown": (400, "请注明坐标系（WGS84、GCJ-02 或 BD-09）。"),
    "copy_to_invalid": (400, "抄送单位不能是移送或接收单位。"),
    "crime_flag_approval_required": (
        409,
        "取消“涉嫌犯罪”标记须经领导小组办公室批准：请提交取消标记申请。",
    ),
    "criminal_decision_no_transfer": (409, "已决定不予移送司法机关。"),
    "criminal_transfer_exists": (409, "已移送司法机关的案件不能取消“涉嫌犯罪”标记。"),
    "criminal_transfer_missing": (400, "尚无移送司法机关的记录。"),
    "criminal_transfer_required": (
        409,
        "该案件涉嫌犯罪，尚未移送司法机关：不得以行政处罚代替刑事处罚，须先移送司法机关，或经领导小组办公室批准取消“涉嫌犯罪”标记。",
    ),
    "crs_unknown": (400, "未知的坐标系。"),
    "day_duplicate": (400, "日期 %(d)s 重复。"),
    "day_kind_invalid": (400, "第 %(n)s 项类型无效。"),
    "day_outside_year": (400, "第 %(n)s 项日期不在 %(year)s 年内。"),
    "decision_invalid": (400, "请选择处理决定。"),
    "decision_required": (400, "请写明答复意见。"),
    "delegate_name_required": (400, "%(unit)s 委派代表出席，须写明代表姓名。"),
    "delegation_expired": (403, "办公室主任的委托授权已于 %(end)s 到期，不覆盖会议日期 %(day)s。"),
    "delegation_grantor_not_convener": (
        403,
        "委托人 %(who)s 已不是领导小组组长或副组长，该委托授权不再有效。",
    ),
    "delegation_missing": (
        403,
        "办公室主任召集联席会议须经组长或副组长委托授权，未找到委托授权记录。",
    ),
    "delegation_not_covering": (
        403,
        "委托授权有效期为 %(start)s 至 %(end)s，不覆盖会议日期 %(day)s。",
    ),
    "delegation_not_in_force_today": (
        403,
        "办公室主任的委托授权自 %(start)s 起生效，召集之日 %(today)s 尚未生效，不能召集会议日期为 %(day)s 的联席会议。",
    ),
    "delegation_revoked": (403, "办公室主任的委托授权已被撤销，不能召集联席会议。"),
    "description_required": (400, "请填写反映的问题。"),
    "designated_elsewhere": (409, "该事项已指定由其他单位管辖，本单位不能%(verb)s。"),
    "designee_invalid": (400, "只能指定争议单位之一（或本单位）管辖。"),
    "discovered_at_required": (400, "请填写发现时间。"),
    "discovery_frozen": (409, "该事项已与其他单位的案件关联，发现时间和接报时间不能再修改（T5）。"),
    "discovery_not_own": (403, "只能登记本单位发现的案件，不能以其他单位的名义填写发现单位。"),
    "dispute_designated": (409, "已指定管辖，指定决定为最终决定。"),
    "dispute_open": (409, "该案件已有待指定的管辖争议。"),
    "due_date_invalid": (400, "完成时限不能早于会议日期 %(d)s。"),
    "due_date_required": (400, "请填写完成时限。"),
    "due_fulfilled": (409, "该应报事项已由其他信息报送。"),
    "due_type_mismatch": (400, "所选应报事项要求报送“%(type)s”。"),
    "due_unit_mismatch": (400, "所选应报事项不属于本单位。"),
    "due_workdays_invalid": (400, "报送时限须在0至60个工作日之间。"),
    "duplicate_transfer": (409, "已向该单位移送此案，尚未办结。"),
    "duties_missing": (400, "以下参与单位尚未明确职责分工：%(names)s"),
    "entity_invalid": (400, "监管对象不存在。"),
    "entity_not_targeted": (400, "“%(n)s”不是本次行动的检查对象。"),
    "evidence_missing": (400, "以下指标须上传佐证材料：%(codes)s"),
    "evidence_required": (400, "认定造成后果的，须列明证据。"),
    "extension_exhausted": (409, "办理期限只能延长 %(n)s 次。"),
    "extension_too_long": (400, "延长期限须为 1 至 %(n)s 日。"),
    "field_not_editable": (400, "不能修改这些字段：%(f)s"),
    "file_empty": (400, "文件为空。"),
    "file_parse_timeout": (
        400,
        "文件解析超时（超过 %(s)d 秒），已拒绝：请拆分为较小的文件后重新上传。",
    ),
    "file_refused": (400, "文件被拒绝（解析限制）。"),
    "file_required": (400, "请选择要上传的文件。"),
    "file_too_complex": (
        400,
        "文件过于复杂，解析所需内存超过上限，已拒绝：请检查文件或拆分后重新上传。",
    ),
    "file_too_large": (413, "文件超过大小上限。"),
    "file_type_not_allowed": (415, "文件内容不是允许的类型（按文件内容识别）。"),
    "file_unreadable": (400, "文件已损坏，无法读取。"),
    "finding_exists": (409, "该逾期事项已作出后果认定。"),
    "finding_in_proposal": (409, "以下认定已在问责建议中：%(n)s。"),
    "finding_not_serious": (400, "只有造成严重后果的逾期事项才能提出问责建议。"),
    "findings_mixed_groups": (400, "一份问责建议只能包含同一领导小组认定的事项。"),
    "findings_required": (400, "请选择造成严重后果的逾期事项。"),
    "flag_required": (400, "请先在案件上标记“%(flag)s”。"),
    "government_level_mismatch": (400, "处理建议须报请本级人民政府：%(names)s。"),
    "grantee_not_director": (400, "只能委托领导小组办公室主任。"),
    "grantor_not_convener": (400, "只有领导小组组长或副组长可以委托授权。"),
    "grid_not_own": (403, "只能巡查本人负责的网格。"),
    "group_not_member": (400, "本单位不是该领导小组的成员单位。"),
    "handler_invalid": (400, "经办人须为办理单位人员。"),
    "import_empty": (400, "文件中没有数据行。"),
    "import_rows_invalid": (400, "导入失败：%(n)s 行有错误，未写入任何数据。"),
    "incident_facts_required": (400, "突发环境事件须写明发生时间、地点、事件类型和级别。"),
    "indicator_unknown": (400, "指标不属于本考核方案"),
    "inspection_outside_period": (400, "检查时间须在行动期间%(a)s至%(b)s内。"),
    "interval_invalid": (400, "报送周期无效。"),
    "invalid": (400, "输入有误，请修改后重试。"),
    "invalid_encoding": (400, "请求含有无法解码的字符。"),
    "invalid_json": (400, "请求体不是有效的 JSON。"),
    "invalid_scope": (400, "授权范围无效。"),
    "investigation_required": (
        400,
        "报请人民政府责令停产整顿、停业、关闭的案件，须由网格单位先立案调查。",
    ),
    "jurisdiction_transfer_not_allowed": (409, "该案件已移送管辖或已查处完成，不能再移送管辖。"),
    "jurisdiction_unsettled": (
        409,
        "同一事项有多个单位同时发现，管辖未定：请报请共同的上一级网格单位指定管辖后再%(verb)s。",
    ),
    "kind_invalid": (400, "未知的公开类别。"),
    "leader_required": (403, "问责决定由领导小组组长或副组长作出。"),
    "leading_group_required": (400, "成员单位之间的联合执法须指定所属领导小组（E6）。"),
    "level_invalid": (400, "请选择后果程度。"),
    "liaison_exists": (
        409,
        "“%(unit)s”已确定联络人%(name)s；每个参与单位只能确定一名联络人（E5）。如需更换，请使用“更换联络人”并说明原因。",
    ),
    "liaison_missing": (400, "以下参与单位尚未确定联络人，不能部署（E5）：%(names)s"),
    "liaison_wrong_unit": (400, "联络人须为“%(unit)s”的人员。"),
    "link_invalid": (400, "关联对象不存在或无权查看：%(t)s #%(i)s"),
    "link_self": (400, "不能与自身关联。"),
    "location_required": (400, "请在地图上选择地点，或填写有效的经纬度。"),
    "login_admin_only": (403, "只有系统管理员可以为人员关联登录账号。"),
    "major_summary_required": (400, "重大调整须写明调整说明。"),
    "meeting_not_held": (409, "决定事项须在会议召开后、纪要印发前登记（当前状态：%(s)s）。"),
    "meeting_not_started": (400, "会议尚未召开（%(day)s），不能登记出席情况。"),
    "method_not_allowed": (405, "此地址不接受这种请求方式：请使用页面上的按钮或表单提交。"),
    "metric_required": (400, "系统计算的指标须选择计算口径。"),
    "metric_unknown": (400, "计算口径“%(m)s”不存在或其数据来源未启用。"),
    "minutes_not_editable": (409, "会议召开后、纪要印发前才能编辑纪要。"),
    "minutes_required": (400, "纪要内容为空，不能印发。"),
    "mode_invalid": (400, "组织方式无效。"),
    "no_common_grid": (400, "争议单位没有共同的上一级网格，无法确定指定管辖单位。"),
    "no_deadline": (409, "未找到办理时限。"),
    "no_grid": (403, "您没有负责的网格，不能开始巡查。"),
    "no_person": (403, "当前账号未关联单位人员。"),
    "no_receiver": (400, "该地点不在本系统网格范围内，且未设置受理机构。"),
    "no_recipient": (400, "本单位未加入任何领导小组，无法确定报送对象。"),
    "no_units": (400, "没有被考核单位。"),
    "not_a_finding": (400, "只有发现问题的检查可以登记案件。"),
    "not_a_party": (403, "只有争议一方可以报请指定管辖。"),
    "not_approver": (403, "行动方案须由组织单位领导或领导小组办公室批准。"),
    "not_convener": (403, "只能由召集人本人或会议组织单位登记会议。"),
    "not_finalised": (409, "考核结果尚未定档。"),
    "not_first_discoverer": (
        409,
        "同一事项由最先发现或最先接到举报的 %(unit)s 管辖（T5）：本单位不能%(verb)s，请移送该单位，或报请指定管辖。",
    ),
    "not_found": (404, "来源方案未找到。"),
    "not_grid_staff": (403, "只有网格人员可以巡查。"),
    "not_joint": (
        400,
        "联合执法须跨区域或跨部门：至少涉及%(u)s个单位或%(g)s个网格；本行动只涉及%(nu)s个单位、%(ng)s个网格，不属于联合执法（E1）。",
    ),
    "not_member_unit": (
        400,
        "以下单位不是“%(group)s”的成员单位，不能参加成员单位之间的联合执法（E6）：%(names)s",
    ),
    "not_office": (403, "只有领导小组办公室可以设定任务完成情况的报送周期。"),
    "not_organiser": (403, "只有会议的组织单位（领导小组办公室或召集单位）可以进行此操作。"),
    "not_overdue": (409, "只能对逾期事项（逾期登记中的事项）认定后果。"),
    "not_owner": (403, "只有该决定事项的承办单位可以报告落实情况。"),
    "not_participant": (400, "单位 #%(id)s 不是本次会议的参会单位。"),
    "not_report_unit": (403, "只有报送单位本身可以报送任务完成情况。"),
    "not_suspected_crime": (400, "案件未标记为涉嫌犯罪。"),
    "note_already_reviewed": (409, "该说明已审核。"),
    "note_not_pending": (409, "该说明无需审核。"),
    "note_required": (400, "“%(action)s”须填写说明。"),
    "notice_ref_required": (400, "请填写国务院通知文号（或说明来源）。"),
    "objection_decided": (409, "该异议已答复。"),
    "objection_pending": (409, "已有待答复的异议。"),
    "objection_window_closed": (409, "异议期已过。"),
    "obligation_closed": (409, "该事项已办结或已撤销，不能重复办理。"),
    "obligation_workflow_owned": (409, "该事项由业务流程办理，不能在此%(verb)s：%(instead)s。"),
    "office_only": (403, "只有领导小组办公室可以组织考核。"),
    "office_required": (403, "后果认定由监督该单位的领导小组办公室作出。"),
    "officer_exists": (409, "%(name)s已在本次行动的执法人员名单中。"),
    "officer_has_inspections": (409, "%(name)s已参加现场检查，不能移出名单。"),
    "officer_not_in_action": (400, "检查人员须为本次行动的执法人员。"),
    "officer_not_in_unit": (400, "信息工作负责人须为本单位人员。"),
    "officers_too_few": (400, "现场检查须由至少%(n)s名持有有效执法证的执法人员进行。"),
    "organiser_grid_required": (400, "网格主体组织联合执法须指定本单位负责的网格（E3）。"),
    "organiser_not_grid_owner": (
        400,
        "“%(unit)s”不是网格“%(grid)s”的网格主体，不能组织该网格的联合执法（E3）。",
    ),
    "out_of_range": (400, "数值超出范围。"),
    "outcome_invalid": (400, "请选择结案方式。"),
    "owner_not_participant": (
        400,
        "%(unit)s 既不是参会单位也不是成员单位，不能承办本会议的决定事项。",
    ),
    "owner_required": (400, "决定事项须明确至少一个承办单位。"),
    "owner_unit_forbidden": (403, "不能以其他单位的名义登记案件。"),
    "owner_unit_required": (400, "请指定办理单位。"),
    "parent_invalid": (400, "上级单位不能是本单位。"),
    "participant_exists": (409, "“%(u)s”已是参与单位。"),
    "participant_not_member": (400, "%(unit)s 不是领导小组成员单位。"),
    "participant_required": (
        400,
        "组织单位和行动对象所在下级网格的单位不能移出；请先调整行动对象。",
    ),
    "participants_required": (400, "会议没有参会单位。"),
    "participants_too_few": (400, "成员单位联席会议至少需要两个参会单位。"),
    "parties_required": (400, "管辖争议至少涉及两个单位。"),
    "period_invalid": (400, "更新周期须为 1–3660 天。"),
    "period_over": (400, "行动结束日期%(d)s已过，不能部署。"),
    "permission_denied": (403, "无权访问。"),
    "person_inactive": (400, "%(name)s不在岗，不能选派。"),
    "person_not_in_units": (400, "责任人员须属于所列责任单位：%(p)s。"),
    "persons_required": (400, "记录中没有责任人，请指明责任人员。"),
    "photo_not_in_inspection": (400, "证据照片须来自本次检查。"),
    "plan_empty": (400, "考核方案没有任何指标。"),
    "plan_forbidden": (403, "无权设置该网格的巡查计划。"),
    "plan_in_use": (409, "考核方案已投入使用，不能修改；请另建新版本。"),
    "plan_invalid": (400, "巡查计划有误，未保存。"),
    "plan_mismatch": (400, "方案须为本领导小组同一年度的方案。"),
    "point_incomplete": (400, "经度和纬度须同时填写。"),
    "point_invalid": (400, "经纬度超出范围。"),
    "point_outside": (400, "该坐标不在任何网格内，请核对坐标和坐标系。"),
    "problem_kind_required": (400, "第 %(i)s 项议题须注明所解决的是重点、难点还是热点问题。"),
    "procuratorate_copy_required": (400, "移送涉嫌犯罪案件须抄送人民检察院。"),
    "proficiency_insufficient": (
        400,
        "执法人员%(name)s业务熟练程度未达要求：%(gap)s，不能参加联合执法（E5）。",
    ),
    "proposal_required": (400, "报请人民政府责令停产整顿、停业、关闭，须提出处理建议。"),
    "purpose_required": (400, "请写明委托事项。"),
    "reason_required": (400, "调整评分须写明理由。"),
    "receiver_inactive": (400, "接收单位已停用。"),
    "receiver_kind_mismatch": (400, "%(type)s的接收单位须为：%(kinds)s。"),
    "referral_not_decided": (409, "领导小组未决定移送纪检监察机关。"),
    "reply_required": (400, "请填写答复意见。"),
    "report_locked": (409, "信息已报送，不能再修改；如需修改请由接收单位退回。"),
    "request_too_large": (413, "请求数据过大，已拒绝。"),
    "required": (400, "必填项未填写。"),
    "result_invalid": (400, "未知的检查结果。"),
    "review_by_author": (403, "起草人不能审核自己起草的公开信息。"),
    "role_admin_only": (403, "该人员已关联登录账号，只有系统管理员可以修改其角色。"),
    "unit_admin_only": (403, "该人员已关联登录账号，只有系统管理员可以调整其所属单位。"),
    "unknown_kind": (404, "未知的查询类型。"),
    "role_invalid": (400, "未知的岗位：%s"),
    "rule_invalid": (400, "签收时限规则无效。"),
    "schedule_invalid": (400, "时间安排无效。"),
    "scope_invalid": (400, "会议类别无效。"),
    "score_out_of_range": (400, "“%(name)s”的得分须在 0 至 %(max)s 之间。"),
    "scores_missing": (
        400,
        "以下指标尚无得分（未自评的审核指标须由办公室评分并写明理由）：%(items)s",
    ),
    "self_evaluation_submitted": (409, "已有单位提交自评，不能更换方案。"),
    "self_scores_missing": (400, "以下指标尚未自评：%(codes)s"),
    "server_error": (500, "服务器内部错误，请稍后重试。"),
    "session_expired": (403, "会话已过期，请刷新页面后重试。"),
    "sheet_too_large": (
        400,
        "工作表范围过大（%(rows)d 行 × %(cols)d 列），已拒绝：上限为 %(max_rows)d 行、%(max_cols)d 列、共 %(max_cells)d 个单元格。请删除多余的行列或拆分文件。",
    ),
    "source_invalid": (400, "未知的案件来源。"),
    "staff_invalid": (400, "人员不存在：%(ids)s"),
    "starts_at_required": (400, "请填写会议时间。"),
    "starts_on_invalid": (400, "报告期须从某月1日开始。"),
    "summary_required": (400, "请先填写年度工作总结。"),
    "supervision_closed": (409, "该督办已办结。"),
    "supervision_self": (400, "该问题由组织单位自行查处，无需督办。"),
    "target_exists": (409, "该对象已在行动对象中。"),
    "target_invalid": (400, "行动对象须为监管对象或区域（网格）。"),
    "target_outside_grids": (400, "监管对象“%(name)s”不在任何网格内，不能作为行动对象。"),
    "target_outside_organiser_grid": (
        400,
        "行动对象“%(target)s”所在网格“%(grid)s”不在组织网格“%(org)s”范围内；组织单位的网格须在行动对象所在网格之上（E3）。",
    ),
    "targets_required": (400, "行动方案须列明行动对象（监管对象或区域）。"),
    "thematic_incomplete": (400, "专题综合信息须有情况、有分析、有建议，缺少：%(parts)s。"),
    "time_before_start": (400, "检查时间早于巡查开始时间。"),
    "time_in_future": (400, "时间不能晚于当前时间。"),
    "time_invalid": (400, "结束时间早于开始时间。"),
    "time_too_early": (400, "时间早于1949年10月1日，请检查。"),
    "token_invalid": (400, "令牌格式不正确。"),
    "token_revoked": (409, "该令牌已撤销。"),
    "too_deep": (400, "请求数据嵌套过深。"),
    "too_long": (400, "输入过长。"),
    "too_many_fields": (400, "提交的字段或文件过多，已拒绝。"),
    "too_many_photos": (400, "最多上传 %(n)s 张照片。"),
    "totp_enabled": (400, "已启用动态口令，如需更换请先停用。"),
    "totp_invalid": (400, "动态口令不正确。"),
    "totp_not_started": (400, "请先生成密钥。"),
    "totp_required": (403, "请先输入动态口令。"),
    "track_invalid": (400, "轨迹文件无效：%(reason)s"),
    "tracking_code_collision": (409, "系统繁忙，请重试。"),
    "training_invalid": (400, "培训考核记录有误：%(fields)s"),
    "transfer_incomplete": (
        400,
        "移送案件须违法事实清楚、证据确凿，有明确的违法责任人和违法主体：%(m)s。",
    ),
    "transfer_mismatch": (400, "移送记录与案件不符。"),
    "transfer_not_accepted": (409, "该移送%(state)s，不能登记查处完成。"),
    "transfer_not_handled": (409, "该移送%(state)s，不能反馈。"),
    "transfer_pending": (409, "移送管辖待对方受理，不能结案。"),
    "transfer_to_self": (400, "不能移送给本单位。"),
    "transfer_type_invalid": (400, "未知的移送类型。"),
    "transition_forbidden": (403, "无权执行“%(action)s”。"),
    "transition_not_allowed": (409, "当前状态下不能执行该操作。"),
    "unit_invalid": (400, "单位不存在或无权查看。"),
    "unit_not_member": (400, "被考核单位须为本领导小组成员单位。"),
    "unit_not_participating": (400, "以下单位不是本次行动的参与单位：%(names)s"),
    "unit_only": (403, "只有被考核单位本单位人员可以填报自评。"),
    "unit_out_of_scope": (400, "不能在本领导小组以外的单位添加人员。"),
    "unit_outside_group": (403, "该单位不在本领导小组办公室的职责范围内。"),
    "unit_required": (400, "请选择承办单位。"),
    "units_required": (400, "请指明责任单位。"),
    "unknown_action": (400, "未知操作。"),
    "uscc_exists": (409, "统一社会信用代码 %s 已登记。"),
    "year_invalid": (400, "年份超出范围。"),
    "rule_format": (400, "规则取值格式不正确（文号格式须含 {seq}）。"),
    "rule_not_overridable": (400, "该规则只能由部署配置设定，不能在数据库中调整。"),
    "rule_range": (400, "规则取值超出允许范围。"),
    "rule_type": (400, "规则取值类型不正确。"),
    "rule_unknown": (400, "未知规则。"),
    "addressee_out_of_scope": (400, "被督办单位不在本领导小组内。"),
    "supervision_invalid": (400, "督办通知填写不完整。"),
    "supervision_issue_denied": (403, "只有领导小组办公室或领导可以下达督办通知。"),
    "supervision_reply_denied": (403, "只有被督办单位可以回复督办。"),
    "target_not_found": (400, "督办对象不存在。"),
    "target_type_invalid": (400, "不能对该类事项督办。"),
}

# older name -> canonical code: the same refusal under another name
ALIASES: dict[str, str] = {
    # "this status change is not allowed" (the workflow kernel's NOT_ALLOWED)
    "petition_bad_transition": "transition_not_allowed",
    "wrong_status": "transition_not_allowed",
    "job_not_failed": "transition_not_allowed",
    "job_not_cancellable": "transition_not_allowed",
    "not_draft": "transition_not_allowed",
    "plan_not_draft": "transition_not_allowed",
    "not_reviewing": "transition_not_allowed",
    "transfer_not_pending": "transition_not_allowed",
    "decision_not_open": "transition_not_allowed",
    "supervision_not_open": "transition_not_allowed",
    "meeting_not_scheduled": "transition_not_allowed",
    "action_not_running": "transition_not_allowed",
    "not_paused": "transition_not_allowed",
    # someone else changed it first
    "status_changed": "concurrent_change",
    # an action name the workflow does not know
    "invalid_action": "unknown_action",
    "action_unknown": "unknown_action",
    # uploads (core.uploads)
    "photo_required": "file_required",
    "track_required": "file_required",
    "photo_empty": "file_empty",
    "photo_too_large": "file_too_large",
    "document_too_large": "file_too_large",
    "too_large": "file_too_large",
    "photo_type": "file_type_not_allowed",
    "document_type": "file_type_not_allowed",
    "file_type": "file_type_not_allowed",
    "file_type_refused": "file_type_not_allowed",
    "file_type_mismatch": "file_type_not_allowed",
    "photo_corrupt": "file_unreadable",
    # times and places
    "at_in_future": "time_in_future",
    "time_future": "time_in_future",
    "inspection_in_future": "time_in_future",
    "consultation_in_future": "time_in_future",
    "crs_invalid": "crs_unknown",
    "location_invalid": "point_invalid",
    "coordinate_out_of_range": "point_invalid",
    # request bodies
    "bad_json": "invalid_json",
    "parse_error": "invalid_json",
    "malformed_request": "bad_request",
    "description_too_long": "too_long",
    "response_required": "required",
    # one problem, one case
    "already_case": "case_exists",
    "already_cased": "case_exists",
    "officers_insufficient": "officers_too_few",
}


class ApplicationError(Exception):
    """A refused action. `code` is stable (clients switch on it); `message` is for people."""

    status = 400

    def __init__(
        self,
        message: str,
        *,
        code: str = "invalid",
        fields: dict[str, Any] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = str(message)
        self.code = code
        self.fields = fields or {}
        if status is not None:
            self.status = status

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "canonical": canonical_code(self.code),
            "message": self.message,
            "fields": self.fields,
        }


class PermissionDeniedError(ApplicationError):
    status = 403

    def __init__(self, message: str, *, code: str = "permission_denied", **kw: Any) -> None:
        super().__init__(message, code=code, **kw)


class NotFoundError(ApplicationError):
    status = 404

    def __init__(self, message: str, *, code: str = "not_found", **kw: Any) -> None:
        super().__init__(message, code=code, **kw)


class ConflictError(ApplicationError):
    """The object changed under us (a concurrent accept/return, a double close)."""

    status = 409

    def __init__(self, message: str, *, code: str = "conflict", **kw: Any) -> None:
        super().__init__(message, code=code, **kw)


def canonical_code(code: str) -> str:
    """The vocabulary's name for ``code`` (itself when it is canonical or unknown)."""
    return ALIASES.get(code, code)


def is_known(code: str) -> bool:
    return code in VOCABULARY or ALIASES.get(code) in VOCABULARY


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def vocabulary_markdown() -> str:
    """The table of docs/api.md: canonical codes, their status, message and aliases."""
    aliases: dict[str, list[str]] = {}
    for alias, canonical in sorted(ALIASES.items()):
        aliases.setdefault(canonical, []).append(alias)
    lines = [
        "| code | status | message (example) | aliases (older names, still answered in `code`) |",
        "| --- | --- | --- | --- |",
    ]
    for code, (status, message) in sorted(VOCABULARY.items()):
        names = ", ".join(f"`{a}`" for a in aliases.get(code, []))
        lines.append(f"| `{code}` | {status} | {_cell(message)} | {names} |")
    return "\n".join(lines)
