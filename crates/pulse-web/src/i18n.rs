//! UI strings in zh-CN (default) and English (O5). Templates call `tr.t("key")`;
//! a test checks every key used in a template exists here.

use axum::http::{HeaderMap, header};
use pulse_domain::Lang;

pub const LANG_COOKIE: &str = "pulse_lang";

/// Pages are zh-CN unless the person chose English (the language cookie):
/// many Chinese offices run English-language browsers, and the product's
/// default must not flip with them. API clients may also ask with
/// `Accept-Language`.
pub fn request_lang(headers: &HeaderMap) -> Lang {
    cookie_lang(headers).unwrap_or_default()
}

pub fn api_lang(headers: &HeaderMap) -> Lang {
    cookie_lang(headers).unwrap_or_else(|| {
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map(Lang::from_accept_language)
            .unwrap_or_default()
    })
}

fn cookie_lang(headers: &HeaderMap) -> Option<Lang> {
    crate::access::cookie(headers, LANG_COOKIE).map(|v| Lang::parse(&v))
}

#[derive(Debug, Clone, Copy)]
pub struct Tr(pub Lang);

impl Tr {
    pub fn t(&self, key: &str) -> &'static str {
        match TEXTS.iter().find(|(k, _, _)| *k == key) {
            Some((_, zh, en)) => self.0.pick(zh, en),
            None => {
                tracing::warn!(key, "missing UI text");
                "?"
            }
        }
    }

    pub fn code(&self) -> &'static str {
        self.0.code()
    }

    pub fn is_en(&self) -> bool {
        self.0 == Lang::En
    }
}

pub const TEXTS: &[(&str, &str, &str)] = &[
    ("app.name", "绩效脉搏", "Pulse"),
    (
        "app.tagline",
        "持续绩效管理",
        "Continuous performance management",
    ),
    ("nav.me", "我的", "Me"),
    ("nav.inbox", "待办", "To-dos"),
    ("inbox.title", "我的待办", "My to-dos"),
    ("inbox.state.open", "待处理", "Open"),
    ("inbox.state.done", "已完成", "Done"),
    ("inbox.state.dismissed", "已忽略", "Dismissed"),
    ("inbox.empty", "没有待办事项", "Nothing to do"),
    ("inbox.due", "截止", "Due"),
    ("inbox.overdue", "已逾期", "Overdue"),
    ("inbox.mark_done", "完成", "Done"),
    ("inbox.dismiss", "忽略", "Dismiss"),
    ("nav.org", "组织架构", "Organisation"),
    ("nav.import", "数据导入", "Import"),
    ("nav.admin", "用户与角色", "Users & roles"),
    ("nav.audit", "审计日志", "Audit log"),
    ("nav.api", "API 文档", "API docs"),
    ("nav.logout", "退出登录", "Sign out"),
    ("nav.menu", "菜单", "Menu"),
    ("lang.switch", "English", "中文"),
    ("login.title", "登录", "Sign in"),
    ("login.login", "账号", "Login"),
    ("login.password", "密码", "Password"),
    ("login.submit", "登录", "Sign in"),
    (
        "login.demo_hint",
        "演示账号：admin、hrbp、director、manager、employee、engineer，密码均为 demo",
        "Demo accounts: admin, hrbp, director, manager, employee, engineer; password demo",
    ),
    ("me.title", "我的资料", "My profile"),
    ("me.roles", "角色与数据范围", "Roles and data scope"),
    ("person.employee_no", "工号", "Employee no."),
    ("person.name", "姓名", "Name"),
    ("person.org_unit", "部门", "Org unit"),
    ("person.job_family", "岗位族", "Job family"),
    ("person.level", "职级", "Level"),
    ("person.manager", "直属上级", "Manager"),
    ("person.hire_date", "入职日期", "Hire date"),
    ("person.status", "状态", "Status"),
    ("person.email", "邮箱", "Email"),
    ("person.wecom", "企业微信ID", "WeChat Work ID"),
    ("person.reports", "直属下级", "Direct reports"),
    ("person.chain", "汇报链", "Reporting line"),
    ("person.edit", "编辑人员信息", "Edit person"),
    ("person.history", "变更记录", "Change history"),
    ("status.active", "在职", "Active"),
    ("status.left", "离职", "Left"),
    ("org.title", "组织架构", "Organisation"),
    (
        "org.search",
        "搜索姓名或工号",
        "Search name or employee no.",
    ),
    ("org.search_button", "搜索", "Search"),
    ("org.people_in", "人员", "People"),
    ("org.headcount", "人", "people"),
    ("org.no_results", "没有找到匹配的人员", "No matching people"),
    ("org.all", "全部", "All"),
    ("org.export", "导出 Excel", "Export to Excel"),
    ("org.total", "共", "Total"),
    ("common.prev", "上一页", "Previous"),
    ("common.next", "下一页", "Next"),
    ("common.page", "页", "page"),
    ("common.save", "保存", "Save"),
    ("common.edit", "修改", "Edit"),
    (
        "feedback.give",
        "给团队成员反馈",
        "Give feedback to someone",
    ),
    ("feedback.give_body", "反馈内容", "Feedback"),
    (
        "feedback.from_manager",
        "主管给我的反馈",
        "Feedback from my manager",
    ),
    ("feedback.photos", "工单照片", "Work-order photos"),
    ("feedback.no_photos", "还没有照片。", "No photos yet."),
    ("feedback.taken_at", "拍摄于", "taken"),
    (
        "feedback.add_photo",
        "拍照或选择照片",
        "Take or choose a photo",
    ),
    (
        "feedback.photo_hint",
        "JPEG 或 PNG，最大 10 MB；拍摄时间从照片信息读取，作为到场证据。",
        "JPEG or PNG, up to 10 MB; the capture time is read from the photo as evidence.",
    ),
    ("feedback.upload", "上传", "Upload"),
    ("feedback.ack_clear", "我清楚下一步", "I know my next step"),
    ("feedback.ack_unclear", "还不清楚", "Not clear yet"),
    ("feedback.ack_wanted", "待你确认", "waiting for your answer"),
    ("feedback.active", "启用", "Active"),
    ("feedback.arrived_at", "到场时间", "Arrived at"),
    (
        "feedback.board_empty",
        "本周期还没有人得分，写一张反馈卡就能上榜。",
        "No points yet this period: one card puts you on the board.",
    ),
    ("feedback.card_title", "15分钟反馈", "15-minute feedback"),
    ("feedback.customer", "客户", "Customer"),
    (
        "feedback.customer_hint",
        "输入客户名称或拼音首字母",
        "Customer name or pinyin initials",
    ),
    ("feedback.detail", "内容", "Details"),
    ("feedback.kind", "类型", "Type"),
    ("feedback.leaderboard", "反馈积分榜", "Feedback leaderboard"),
    (
        "feedback.leaderboard_hint",
        "本周期反馈卡积分，实时更新。",
        "Points from cards this period, updated live.",
    ),
    (
        "feedback.log_snapshot",
        "商机进展快照",
        "Opportunity snapshot",
    ),
    ("feedback.log_visit", "记录客户拜访", "Log a visit"),
    ("feedback.log_work_order", "服务工单", "Work order"),
    ("feedback.my_cards", "我的反馈卡", "My cards"),
    ("feedback.my_events", "我的业务记录", "My activity"),
    ("feedback.my_points", "我的积分", "My points"),
    ("feedback.next_step", "下一步", "Next step"),
    ("feedback.no_cards", "还没有反馈卡。", "No cards yet."),
    ("feedback.no_replies", "还没有回复。", "No replies yet."),
    ("feedback.note", "备注（选填）", "Note (optional)"),
    (
        "feedback.observation",
        "关键观察（1–20 字）",
        "Key observation (1–20 characters)",
    ),
    (
        "feedback.observation_hint",
        "例如：客户提出价格异议",
        "e.g. the customer objected to the price",
    ),
    ("feedback.ok_card", "反馈卡已提交。", "Card submitted."),
    (
        "feedback.ok_card_point",
        "反馈卡已提交，积分 +1。",
        "Card submitted: +1 point.",
    ),
    ("feedback.ok_event", "已记录。", "Recorded."),
    ("feedback.parts_planned", "计划备件数", "Parts planned"),
    ("feedback.parts_used", "实际使用备件数", "Parts used"),
    (
        "feedback.pick_three",
        "选 3 个标签并打分（1–5）",
        "Pick 3 tags and rate them (1–5)",
    ),
    ("feedback.points_unit", "分", "pts"),
    ("feedback.purpose", "拜访目的", "Purpose"),
    ("feedback.replies", "回复", "Replies"),
    ("feedback.reply", "回复", "Reply"),
    ("feedback.reported_at", "报修时间", "Reported at"),
    ("feedback.resolved_at", "解决时间", "Resolved at"),
    ("feedback.retired", "已停用", "Retired"),
    (
        "feedback.save_and_card",
        "保存并写反馈卡",
        "Save and write the card",
    ),
    ("feedback.saved", "已保存。", "Saved."),
    ("feedback.send_reply", "发送回复", "Send reply"),
    ("feedback.setup_title", "反馈配置", "Feedback setup"),
    ("feedback.stage", "商机阶段", "Stage"),
    ("feedback.state", "状态", "State"),
    ("feedback.submit_card", "提交反馈卡", "Submit card"),
    ("feedback.tag_library", "反馈标签库", "Tag library"),
    ("feedback.tag_name", "标签名称", "Tag name"),
    ("feedback.team_cards", "团队反馈卡", "Team cards"),
    ("feedback.team_events", "团队业务记录", "Team activity"),
    ("feedback.team_title", "团队反馈", "Team feedback"),
    ("feedback.time", "时间", "Time"),
    ("feedback.title", "业务与反馈", "Activity & feedback"),
    ("feedback.to_rewards", "兑换奖励", "Rewards"),
    ("feedback.to_write", "待写反馈卡", "Cards to write"),
    ("feedback.window", "积分时限", "Points window"),
    (
        "feedback.window_hours",
        "拜访后多少小时内写卡得积分",
        "Hours after the event a card still earns its point",
    ),
    ("feedback.write_card", "写反馈卡", "Write card"),
    ("rewards.balance", "余额", "Balance"),
    ("rewards.catalog", "奖励目录", "Reward catalog"),
    ("rewards.change", "变动", "Change"),
    ("rewards.cost", "所需积分", "Cost"),
    ("rewards.fulfil_title", "待兑现的奖励", "Vouchers to fulfil"),
    ("rewards.fulfilled", "已兑现", "fulfilled"),
    ("rewards.kind", "类型", "Kind"),
    ("rewards.ledger", "积分明细", "Points history"),
    ("rewards.left", "剩余", "left"),
    ("rewards.mark_fulfilled", "标记已兑现", "Mark fulfilled"),
    ("rewards.name", "名称", "Name"),
    (
        "rewards.no_vouchers",
        "还没有兑换记录。",
        "No vouchers yet.",
    ),
    (
        "rewards.none_pending",
        "没有待兑现的奖励。",
        "Nothing to fulfil.",
    ),
    ("rewards.pending", "待兑现", "pending"),
    ("rewards.reason", "原因", "Reason"),
    ("rewards.reason.card", "反馈卡", "feedback card"),
    ("rewards.reason.other", "调整", "adjustment"),
    ("rewards.reason.redeem", "兑换", "redemption"),
    ("rewards.redeem", "兑换", "Redeem"),
    ("rewards.redeemed", "已兑换", "Redeemed"),
    ("rewards.stock", "库存", "Stock"),
    ("rewards.title", "积分与奖励", "Points & rewards"),
    ("rewards.vouchers", "我的兑换券", "My vouchers"),
    ("nav.feedback", "业务与反馈", "Activity"),
    ("nav.team_feedback", "团队反馈", "Team feedback"),
    ("nav.rewards", "积分奖励", "Rewards"),
    ("nav.feedback_setup", "反馈配置", "Feedback setup"),
    ("common.search", "搜索", "Search"),
    ("common.back", "返回", "Back"),
    ("common.none", "无", "None"),
    ("import.title", "数据导入", "Import"),
    (
        "import.intro",
        "上传 Excel（.xlsx/.xls/.ods）或 CSV 文件（UTF-8 或 GBK）。先预检，没有错误后再确认导入；导入是全部成功或全部不生效。",
        "Upload Excel (.xlsx/.xls/.ods) or CSV (UTF-8 or GBK). Check first, then confirm; an import applies entirely or not at all.",
    ),
    ("import.kind", "导入内容", "What to import"),
    ("import.kind.people", "人员花名册", "People"),
    ("import.kind.org_units", "组织架构", "Org units"),
    ("import.file", "文件", "File"),
    ("import.check", "预检", "Check"),
    ("import.template", "下载模板", "Download template"),
    ("import.result", "预检结果", "Check result"),
    ("import.rows", "数据行", "Rows"),
    ("import.created", "新增", "New"),
    ("import.updated", "更新", "Changed"),
    ("import.unchanged", "未变化", "Unchanged"),
    ("import.errors", "错误", "Errors"),
    ("import.row", "行号", "Row"),
    ("import.column", "列", "Column"),
    ("import.message", "问题", "Problem"),
    (
        "import.download_errors",
        "下载带错误说明的原文件",
        "Download the file with an error column",
    ),
    ("import.commit", "确认导入", "Import now"),
    ("import.committed", "导入完成", "Imported"),
    (
        "import.no_errors",
        "没有发现错误，可以导入。",
        "No problems found; ready to import.",
    ),
    (
        "import.fix_and_retry",
        "请修正后重新上传。未导入任何数据。",
        "Fix the file and upload again. Nothing was imported.",
    ),
    (
        "import.preview",
        "数据预览（前 50 行）",
        "Preview (first 50 rows)",
    ),
    ("admin.title", "用户与角色", "Users and roles"),
    ("admin.login", "账号", "Login"),
    ("admin.roles", "角色", "Roles"),
    ("admin.scope", "数据范围", "Scope"),
    ("admin.edit_roles", "修改角色", "Edit roles"),
    ("admin.tokens", "API 令牌", "API tokens"),
    ("admin.token_name", "名称", "Name"),
    ("admin.token_login", "代表账号", "Acts as"),
    ("admin.token_scopes", "权限", "Scopes"),
    ("admin.token_create", "创建令牌", "Create token"),
    (
        "admin.token_created",
        "令牌已创建。请立即复制，它只显示这一次：",
        "Token created. Copy it now; it is shown only once:",
    ),
    ("admin.token_revoke", "吊销", "Revoke"),
    ("admin.token_revoked", "已吊销", "Revoked"),
    ("admin.token_last_used", "最近使用", "Last used"),
    ("admin.anchor", "范围部门编码", "Scope unit code"),
    (
        "admin.search",
        "搜索账号、姓名或工号",
        "Search login, name or employee no.",
    ),
    ("audit.title", "审计日志", "Audit log"),
    ("audit.at", "时间", "Time"),
    ("audit.actor", "操作人", "Actor"),
    ("audit.action", "操作", "Action"),
    ("audit.entity", "对象", "Entity"),
    ("audit.change", "变更", "Change"),
    ("me.change_password", "修改密码", "Change password"),
    ("me.current_password", "当前密码", "Current password"),
    ("me.new_password", "新密码", "New password"),
    (
        "me.confirm_password",
        "再次输入新密码",
        "Repeat new password",
    ),
    (
        "admin.create_account",
        "为员工开通账号",
        "Create a login for a person",
    ),
    (
        "admin.login_default",
        "默认使用工号",
        "defaults to the employee no.",
    ),
    ("admin.initial_password", "初始密码", "Initial password"),
    ("admin.new_password", "新密码", "New password"),
    ("admin.reset_password", "重置密码", "Reset password"),
    ("admin.disabled", "已停用", "Disabled"),
    ("admin.disable", "停用账号", "Disable"),
    ("admin.enable", "启用账号", "Enable"),
    (
        "admin.truncated",
        "只显示前 50 个账号，请用搜索缩小范围",
        "Showing the first 50 accounts; search to narrow down",
    ),
    ("nav.notify", "通知渠道", "Notifications"),
    (
        "notify.title",
        "通知渠道与发送队列",
        "Notification channels and queue",
    ),
    ("notify.channels", "渠道", "Channels"),
    (
        "notify.no_channels",
        "还没有配置通知渠道",
        "No channel configured yet",
    ),
    ("notify.name", "名称", "Name"),
    ("notify.kind", "类型", "Kind"),
    (
        "notify.kind.wecom_robot",
        "企业微信群机器人",
        "WeChat Work group robot",
    ),
    (
        "notify.kind.dingtalk_robot",
        "钉钉群机器人",
        "DingTalk group robot",
    ),
    (
        "notify.kind.feishu_robot",
        "飞书群机器人",
        "Feishu group robot",
    ),
    (
        "notify.kind.wecom_app",
        "企业微信应用消息（发给个人）",
        "WeChat Work app message (to a person)",
    ),
    (
        "notify.secret",
        "加签密钥（钉钉、飞书）、应用 Secret（企业微信应用）或 SMTP 密码（邮件）",
        "Signing secret (DingTalk, Feishu), app secret (WeChat Work app) or SMTP password (email)",
    ),
    (
        "notify.corpid",
        "企业 ID（企业微信应用）",
        "Corp ID (WeChat Work app)",
    ),
    (
        "notify.agentid",
        "AgentId（企业微信应用）",
        "AgentId (WeChat Work app)",
    ),
    (
        "notify.kind.email",
        "邮件（SMTP，发给个人）",
        "Email (SMTP, to a person)",
    ),
    ("notify.smtp_host", "SMTP 服务器", "SMTP server"),
    ("notify.smtp_port", "端口", "Port"),
    ("notify.smtp_tls", "加密方式", "Encryption"),
    (
        "notify.smtp_tls_none",
        "不加密（仅限内网中继）",
        "None (internal relay only)",
    ),
    ("notify.smtp_username", "SMTP 用户名", "SMTP user name"),
    ("notify.smtp_from", "发件人", "Sender"),
    ("me.notifications", "通知设置", "Notifications"),
    ("me.channels", "消息发到", "Send my messages to"),
    ("me.channel.wecom_app", "企业微信", "WeChat Work"),
    ("me.channel.email", "邮件", "Email"),
    ("me.not_configured", "管理员尚未开通", "not set up yet"),
    (
        "me.channels_default",
        "你还没有选择，目前使用能联系到你的那个渠道。",
        "You have not chosen yet: the channel that reaches you is used.",
    ),
    (
        "me.channels_hint",
        "都不勾选则只在待办中提醒。",
        "Tick none to be reminded in the inbox only.",
    ),
    (
        "me.quiet_hours",
        "免打扰时段（北京时间）",
        "Quiet hours (China time)",
    ),
    ("me.quiet_start", "开始", "From"),
    ("me.quiet_end", "结束", "Until"),
    (
        "me.quiet_hint",
        "此时段内的消息推迟到结束时再发送；待办照常出现。两项都留空表示不设免打扰。",
        "Messages in this window wait until it ends; to-dos still appear at once. Leave both empty for none.",
    ),
    ("notify.jobs", "定时任务", "Scheduled jobs"),
    (
        "notify.no_jobs",
        "定时任务还没有运行过（服务启动后一分钟内运行）",
        "No job has run yet (they start within a minute of the server)",
    ),
    ("notify.job", "任务", "Job"),
    (
        "notify.job.reminders",
        "催办与逾期升级",
        "Reminders and escalation",
    ),
    (
        "notify.job.weight_rules",
        "动态权重规则计算",
        "Live weight rules",
    ),
    ("notify.job.crm_pull", "CRM 客户拉取", "CRM customer pull"),
    ("notify.job_runs", "运行次数", "Runs"),
    ("notify.job_last", "上次完成", "Last finished"),
    ("notify.job_result", "结果", "Result"),
    ("notify.job_next", "下次运行", "Next run"),
    ("notify.job_running", "运行中", "running"),
    ("notify.job_run", "立即运行", "Run now"),
    ("goals.actual", "实际", "Actual"),
    (
        "goals.adjustment",
        "目标微调申请",
        "Target adjustment request",
    ),
    ("goals.approve", "批准", "Approve"),
    ("goals.approver", "审批人", "Approver"),
    ("goals.back", "返回我的目标", "Back to my goals"),
    ("goals.board", "目标看板", "Goal board"),
    ("goals.by", "操作人", "By"),
    ("goals.change", "调整", "Change"),
    ("goals.closed", "已关闭", "Closed"),
    ("goals.comment", "审批意见", "Comment"),
    (
        "goals.comment_hint",
        "驳回时必填",
        "Required when rejecting",
    ),
    ("goals.goal", "指标", "Goal"),
    ("goals.history", "权重变更记录", "Weight history"),
    (
        "goals.limit_hint",
        "单次申请最多调整 10%，批准后即时生效。",
        "A request may change the target by at most 10 %; it applies once approved.",
    ),
    ("goals.new_target", "新目标值", "New target"),
    (
        "goals.no_period",
        "当前没有进行中的考核周期。",
        "No period is running now.",
    ),
    (
        "goals.no_reports",
        "你目前没有直接下属。",
        "You have no direct reports.",
    ),
    (
        "goals.none",
        "本周期还没有为你设定目标。",
        "No goals are set for you this period.",
    ),
    ("goals.period", "周期", "Period"),
    ("goals.progress", "进度", "Progress"),
    ("goals.reason", "业务原因", "Business reason"),
    (
        "goals.reason_hint",
        "例如：医院招标政策调整，首单周期拉长",
        "e.g. the hospital changed its tender policy",
    ),
    ("goals.reject", "驳回", "Reject"),
    (
        "goals.request",
        "申请微调目标",
        "Request a target adjustment",
    ),
    ("goals.requested_at", "申请时间", "Requested"),
    ("goals.requester", "申请人", "Requester"),
    ("goals.requests", "我的微调申请", "My adjustment requests"),
    (
        "goals.response",
        "审批平均响应时间",
        "Average approval response time",
    ),
    (
        "goals.rule_adjusted",
        "权重规则调整：",
        "Adjusted by a weight rule:",
    ),
    ("goals.rules_now", "当前权重规则", "Weight rules now"),
    ("goals.score", "加权得分", "Weighted score"),
    ("goals.state", "状态", "State"),
    ("goals.state.approved", "已批准", "Approved"),
    ("goals.state.pending", "待审批", "Pending"),
    ("goals.state.rejected", "已驳回", "Rejected"),
    (
        "goals.state.withdrawn",
        "已撤回（被新申请替代）",
        "Withdrawn (replaced)",
    ),
    ("goals.submit", "提交申请", "Send request"),
    ("goals.supports", "支撑：", "Supports:"),
    ("goals.target", "目标", "Target"),
    ("goals.team", "团队目标", "Team goals"),
    ("goals.title", "我的目标", "My goals"),
    ("goals.weight", "权重", "Weight"),
    ("goals.weight_total", "权重合计", "Total weight"),
    ("goals.weights", "指标权重", "Weights"),
    ("goals.why", "原因", "Why"),
    ("nav.goals", "目标", "Goals"),
    ("nav.rules", "权重规则", "Weight rules"),
    ("nav.team_goals", "团队目标", "Team goals"),
    ("rules.active_in", "生效大区数", "Active in regions:"),
    ("rules.condition", "条件（CEL）", "Condition (CEL)"),
    ("rules.description", "说明", "Description"),
    ("rules.edit_id", "修改已有规则", "Edit a rule"),
    ("rules.editor", "新建或修改规则", "Create or change a rule"),
    ("rules.metric", "调整的指标", "KPI to set"),
    ("rules.name", "规则名称", "Rule name"),
    ("rules.new", "（新规则）", "(new rule)"),
    ("rules.preview", "预览影响", "Preview"),
    ("rules.priority", "优先级", "Priority"),
    ("rules.scope", "适用范围（部门编码）", "Scope (unit code)"),
    ("rules.scope_hint", "留空=所有大区", "empty = all regions"),
    (
        "rules.semantics",
        "规则按状态生效：条件成立期间，该大区人员的指标权重改为设定值，其余指标按比例调整，合计始终为 100%；条件不再成立时恢复基础权重。同一指标有多条规则同时成立时，优先级高者生效，其余显示为“被覆盖”。",
        "Rules are state-based: while the condition holds, the KPI weighs the set value for the region's people and the others rescale so the total stays 100 %; when it stops holding, base weights return. When several rules on one KPI hold, the highest priority wins; the others show as overridden.",
    ),
    ("rules.state.active", "生效中", "active"),
    ("rules.state.error", "无法计算", "cannot evaluate"),
    ("rules.state.inactive", "未触发", "not firing"),
    ("rules.state.overridden", "被覆盖", "overridden"),
    ("rules.title", "动态权重规则", "Live weight rules"),
    ("rules.variables", "可用变量", "Variables"),
    ("rules.weight", "设定权重", "Weight while firing"),
    ("goals.check_in", "更新进度（打卡）", "Check in"),
    ("goals.actual_now", "当前实际值", "Value so far"),
    ("goals.note", "备注", "Note"),
    ("rules.periods", "考核周期", "Periods"),
    ("rules.close_period", "关闭周期", "Close period"),
    (
        "rules.close_hint",
        "关闭后该周期的目标、权重和目标值都不能再修改。",
        "Once closed, the period's goals, weights and targets can no longer change.",
    ),
    ("import.kind.goals", "目标与权重", "Targets and weights"),
    ("import.kind.customers", "CRM 客户", "CRM customers"),
    (
        "import.kind.events",
        "客户评价与项目交付",
        "Customer evaluations and deliveries",
    ),
    (
        "import.export_goals",
        "导出当前目标与权重",
        "Export current targets and weights",
    ),
    ("nav.customers", "客户", "Customers"),
    ("customers.title", "CRM 客户", "CRM customers"),
    (
        "customers.search",
        "客户名称、拼音或编码",
        "Name, pinyin or id",
    ),
    ("customers.tier", "等级", "Tier"),
    ("customers.all_tiers", "全部等级", "All tiers"),
    ("customers.region_code", "大区编码", "Region code"),
    ("customers.none", "没有符合条件的客户", "No customers match"),
    ("customers.name", "客户", "Customer"),
    ("customers.region", "大区", "Region"),
    ("customers.owner", "负责人", "Owner"),
    ("customers.signed_on", "签约日期", "Signed"),
    ("customers.sources", "CRM 数据源", "CRM sources"),
    (
        "customers.no_sources",
        "还没有配置 CRM 数据源（通过 API 配置：PUT /api/v1/crm-sources/{name}）",
        "No CRM source yet (set one up with PUT /api/v1/crm-sources/{name})",
    ),
    ("customers.pull", "立即拉取", "Pull now"),
    (
        "customers.import_hint",
        "也可以在“数据导入”上传 Excel 客户清单，或由 CRM 调用 POST /api/v1/customers 推送。",
        "Customers can also be imported from Excel or pushed by the CRM with POST /api/v1/customers.",
    ),
    ("setup.title", "目标配置", "Goal setup"),
    (
        "setup.templates",
        "岗位指标模板",
        "KPI templates per job family",
    ),
    (
        "setup.templates_hint",
        "每行一个指标：指标编码 权重 [目标值]，权重合计必须为 100%。“保存并下发”会给本周期还没有指标的该岗位族员工生成指标。",
        "One KPI per line: code weight [target]; weights must total 100 %. 'Save and apply' gives the KPIs to everyone of the family without KPIs this period.",
    ),
    ("setup.apply", "保存并下发", "Save and apply"),
    ("setup.new_template", "新建岗位模板", "New template"),
    (
        "setup.lines",
        "指标（每行：编码 权重 目标值）",
        "KPIs (per line: code weight target)",
    ),
    ("setup.metrics", "指标定义", "KPI definitions"),
    ("setup.code", "编码", "Code"),
    ("setup.name", "名称", "Name"),
    ("setup.unit", "单位", "Unit"),
    ("setup.direction", "方向", "Direction"),
    ("setup.source", "数据来源", "Source"),
    ("setup.higher", "越高越好", "higher is better"),
    ("setup.lower", "越低越好", "lower is better"),
    ("setup.new_metric", "新建或修改指标", "Add or change a KPI"),
    ("nav.setup", "目标配置", "Goal setup"),
    ("goals.team_krs", "团队关键结果", "Team key results"),
    ("goals.add_kr", "添加团队关键结果", "Add a team key result"),
    (
        "goals.no_team_krs",
        "团队本周期还没有关键结果，添加一个并对齐到上级目标。",
        "No key results for the team this period yet: add one aligned to an objective above.",
    ),
    (
        "setup.tree_empty",
        "本周期还没有目标。",
        "No goals in this period yet.",
    ),
    (
        "goals.rollup_hint",
        "进度由下属指标按权重汇总，已归档的目标不计入。",
        "Progress rolls up from the KPIs below by weight; archived goals are left out.",
    ),
    ("setup.tree", "目标树", "Goal tree"),
    (
        "setup.tree_hint",
        "公司 TOP 目标 → 大区目标 → 团队关键结果；个人指标通过岗位模板或导入挂到团队关键结果下。",
        "Company TOP goals → region objectives → team key results; personal KPIs come from templates or imports under the team's key result.",
    ),
    ("setup.kind", "层级", "Level"),
    ("setup.kind.key_result", "团队关键结果", "Team key result"),
    ("setup.kind.objective", "大区/部门目标", "Objective"),
    ("setup.kind.company", "公司 TOP 目标", "Company TOP goal"),
    ("setup.unit_code", "所属部门编码", "Owning unit code"),
    ("setup.parent", "上级目标", "Parent goal"),
    ("notify.endpoint", "地址", "Endpoint"),
    ("notify.enabled", "启用", "Enabled"),
    ("notify.on", "已启用", "On"),
    ("notify.off", "未启用", "Off"),
    ("notify.test", "发送测试消息", "Send a test message"),
    (
        "notify.add",
        "添加或修改通知渠道",
        "Add or change a channel",
    ),
    ("notify.webhook", "Webhook 地址", "Webhook URL"),
    (
        "notify.secret_hint",
        "地址中包含密钥，保存后不再显示；修改其他设置时留空即保留原地址。",
        "The URL contains the key: it is never shown again; leave it empty to keep it when changing other settings.",
    ),
    ("notify.units", "部门通知群", "Unit group robots"),
    (
        "notify.units_hint",
        "部门的团队消息发到它自己的群机器人；没有设置时使用上级部门的。",
        "A unit's team messages go to its own robot, or else to its nearest parent's.",
    ),
    ("notify.queue", "发送队列", "Queue"),
    ("notify.dead", "发送失败（死信）", "Dead letters"),
    ("notify.no_dead", "没有发送失败的消息", "No failed messages"),
    ("notify.subject", "标题", "Subject"),
    ("notify.attempts", "尝试次数", "Attempts"),
    ("notify.last_error", "最后一次错误", "Last error"),
    ("notify.retry", "重新发送", "Retry"),
    ("error.title", "出错了", "Something went wrong"),
    ("error.home", "返回首页", "Back to start"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_key_exists() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut missing = Vec::new();
        for entry in std::fs::read_dir(&dir).expect("templates dir") {
            let text = std::fs::read_to_string(entry.expect("entry").path()).expect("read");
            for part in text.split("tr.t(\"").skip(1) {
                let key = part.split('"').next().unwrap_or("");
                if !TEXTS.iter().any(|(k, _, _)| *k == key) {
                    missing.push(key.to_string());
                }
            }
        }
        assert!(missing.is_empty(), "missing UI texts: {missing:?}");
    }

    #[test]
    fn keys_are_unique() {
        let mut keys: Vec<&str> = TEXTS.iter().map(|(k, _, _)| *k).collect();
        keys.sort();
        let n = keys.len();
        keys.dedup();
        assert_eq!(n, keys.len());
    }
}
