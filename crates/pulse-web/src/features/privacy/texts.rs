//! UI texts of this feature: (key, zh-CN, English), and the archive's
//! column headings.

use pulse_domain::i18n::Lang;

pub const TEXTS: &[(&str, &str, &str)] = &[
    ("nav.my_data", "我的个人信息", "My data"),
    ("audit.action.annotate", "添加 HR 备注", "Added an HR note"),
    (
        "audit.action.anonymise",
        "匿名化离职人员",
        "Anonymised a leaver",
    ),
    (
        "audit.action.anonymise_run",
        "执行匿名化",
        "Ran the anonymisation",
    ),
    ("audit.entity.person_data", "个人信息", "Personal data"),
    (
        "audit.entity.privacy",
        "个人信息保护 · 保留天数",
        "Data protection · retention days",
    ),
    ("nav.privacy", "个人信息保护", "Privacy"),
    ("privacy.mine_title", "我的个人信息", "My personal data"),
    (
        "privacy.mine_intro",
        "这里列出绩效脉搏保存的关于你的全部信息。你可以随时下载一份副本（JSON 与 Excel），内容有误请联系 HR 更正。",
        "Everything Pulse holds about you. Download a copy (JSON and Excel) at any time; if something is wrong, ask HR to correct it.",
    ),
    ("privacy.download", "下载我的数据", "Download my data"),
    (
        "privacy.download_hint",
        "一个压缩包，内含完整数据（JSON 格式）和可直接打开的 Excel 表格（每类一张表）。",
        "One compressed file holding all of it as JSON and as an Excel workbook (one sheet per kind).",
    ),
    ("privacy.sections", "保存的信息", "What is held"),
    ("privacy.rows", " 条", ""),
    (
        "privacy.views_of_me",
        "谁查看过我的评估数据",
        "Who viewed my review data",
    ),
    (
        "privacy.no_views",
        "还没有人查看过。",
        "Nobody has viewed it yet.",
    ),
    ("privacy.notes", "HR 备注", "HR notes"),
    ("privacy.no_notes", "没有备注。", "No notes."),
    (
        "privacy.hr_title",
        "个人信息保护",
        "Personal data protection",
    ),
    (
        "privacy.hr_intro",
        "谁在何时查看了谁的评估、评级与校准数据；离职人员超过保留期后匿名化。",
        "Who viewed whose reviews, ratings and calibration data, and when; leavers are anonymised after the retention period.",
    ),
    ("privacy.view_log", "查看记录", "View log"),
    (
        "privacy.filter_person",
        "被查看人工号",
        "Viewed person's no.",
    ),
    ("privacy.filter", "筛选", "Filter"),
    (
        "privacy.no_person",
        "没有这个工号，或不在你的管理范围内。",
        "No such employee number in your scope.",
    ),
    ("privacy.at", "时间", "When"),
    ("privacy.viewer", "查看人", "Viewer"),
    ("privacy.subject", "被查看人", "Whose"),
    ("privacy.kind", "内容", "What"),
    ("privacy.kind.review", "绩效评估", "Review"),
    ("privacy.kind.rating", "评级列表", "Ratings"),
    ("privacy.kind.calibration", "校准案例", "Calibration case"),
    ("privacy.kind.archive", "个人信息副本", "Personal archive"),
    ("privacy.anonymise", "离职人员匿名化", "Anonymising leavers"),
    (
        "privacy.retention",
        "离职满 {days} 天后，姓名、联系方式和提及本人的文字会被替换；评分、积分等统计保持不变。每天自动执行一次。",
        "{days} days after leaving, name, contacts and texts naming the person are replaced; scores, points and other figures stay. It runs once a day.",
    ),
    ("privacy.due", "已到期待匿名化", "Due now"),
    ("privacy.people", "人", "people"),
    ("privacy.run_now", "立即执行", "Run now"),
    (
        "privacy.run_confirm",
        "匿名化不可撤销，确定执行吗？",
        "Anonymisation cannot be undone. Run it?",
    ),
    (
        "privacy.ran",
        "已匿名化 {people} 人，替换 {texts} 处文字。",
        "Anonymised {people} people and {texts} texts.",
    ),
    (
        "privacy.change_retention",
        "修改保留期",
        "Change the retention period",
    ),
    ("privacy.person_title", "个人信息", "Personal data"),
    (
        "privacy.person_intro",
        "应本人请求可代为下载副本；资料有误在人员页更正，无法更正的写入备注。每次打开本页都会记录。",
        "Download a copy on the person's request; correct errors on the person's page and note what cannot be corrected. Every opening of this page is logged.",
    ),
    ("privacy.download_for", "下载副本", "Download a copy"),
    ("privacy.correct", "更正资料", "Correct the record"),
    ("privacy.add_note", "添加备注", "Add a note"),
    ("privacy.topic", "涉及", "About"),
    ("privacy.topic.profile", "个人资料", "Profile"),
    ("privacy.topic.goals", "目标", "Goals"),
    ("privacy.topic.reviews", "评估", "Reviews"),
    ("privacy.topic.other", "其他", "Other"),
    ("privacy.note", "备注内容", "Note"),
    ("privacy.note_saved", "备注已保存", "Note saved"),
    ("privacy.data_link", "个人信息", "Personal data"),
];

/// The archive's column headings: (key, 中文, English).
const COLUMNS: &[(&str, &str, &str)] = &[
    ("employee_no", "工号", "Employee no."),
    ("name", "姓名", "Name"),
    ("job_family", "岗位族", "Job family"),
    ("level", "职级", "Level"),
    ("unit", "部门", "Unit"),
    ("manager", "直属上级", "Manager"),
    ("hire_date", "入职日期", "Hire date"),
    ("status", "状态", "Status"),
    ("email", "邮箱", "Email"),
    ("wecom_userid", "企业微信账号", "WeChat Work id"),
    ("left_at", "离职时间", "Left at"),
    ("created_at", "创建时间", "Created at"),
    ("updated_at", "更新时间", "Updated at"),
    ("login", "登录名", "Login"),
    ("role", "角色", "Role"),
    ("scope", "范围", "Scope"),
    ("disabled_at", "停用时间", "Disabled at"),
    ("id", "编号", "No."),
    ("period", "周期", "Period"),
    ("title", "标题", "Title"),
    ("target", "目标值", "Target"),
    ("actual", "实际值", "Actual"),
    ("progress_bp", "进度（万分比）", "Progress (basis points)"),
    ("weight_bp", "权重（万分比）", "Weight (basis points)"),
    ("state", "状态", "State"),
    ("kind", "类型", "Kind"),
    ("occurred_at", "发生时间", "Occurred at"),
    ("source", "来源", "Source"),
    ("payload", "内容", "Content"),
    ("author", "作者", "Author"),
    ("observation", "观察", "Observation"),
    ("points", "积分", "Points"),
    ("ack", "已确认", "Acknowledged"),
    ("about", "关于", "About"),
    ("from", "发送人", "From"),
    ("to", "接收人", "To"),
    ("body", "内容", "Text"),
    ("delta", "变动", "Change"),
    ("reason", "原因", "Reason"),
    ("cycle", "评估周期", "Cycle"),
    ("reviewer", "评估人", "Reviewer"),
    ("rating", "评级", "Rating"),
    ("self_assessment", "自评", "Self-assessment"),
    ("released_at", "发布时间", "Released at"),
    ("acknowledged_at", "确认时间", "Acknowledged at"),
    ("ack_comment", "确认意见", "Comment"),
    ("session", "校准会", "Session"),
    ("final_rating", "校准评级", "Calibrated rating"),
    ("potential", "潜力", "Potential"),
    ("rationale", "理由", "Rationale"),
    ("decided_at", "决定时间", "Decided at"),
    ("rule", "规则", "Rule"),
    ("action", "结果", "Action"),
    ("chain", "依据", "Why"),
    ("reversed_reason", "撤销原因", "Reversal reason"),
    ("at", "时间", "When"),
    ("actor", "操作人", "By"),
    ("entity", "对象", "Record"),
    ("before", "修改前", "Before"),
    ("after", "修改后", "After"),
    ("viewer", "查看人", "Viewer"),
    ("topic", "涉及", "About"),
];

/// A column's heading; a key without one (a new column) shows as itself.
pub fn column_label(key: &str, lang: Lang) -> String {
    COLUMNS.iter().find(|(k, _, _)| *k == key).map_or_else(
        || key.to_string(),
        |(_, zh, en)| lang.pick(zh, en).to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key the store's sections produce has a heading in both languages.
    #[test]
    fn every_archive_column_has_a_heading() {
        for key in pulse_store::identity::privacy::column_keys() {
            assert_ne!(column_label(&key, Lang::Zh), key, "no heading for {key}");
        }
    }
}
