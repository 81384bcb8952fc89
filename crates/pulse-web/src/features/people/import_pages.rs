use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Response};
use pulse_sheets::{Cell, XlsxTable};
use pulse_store::imports::{self, ImportKind, ImportReport};

use crate::AppState;
use crate::access::Me;
use crate::error::{AppError, AppResult};
use crate::features::people::import_api::parse_kind;
use crate::i18n::Tr;
use crate::pages::{Nav, Page, PageCtx};

#[derive(Template, WebTemplate)]
#[template(path = "people/import.html")]
struct ImportPage {
    tr: Tr,
    nav: Nav,
    kind: String,
    report: Option<ImportReport>,
    file_error: Option<String>,
}

fn render(ctx: PageCtx, kind: &str, report: Option<ImportReport>) -> Response {
    let file_error = report.as_ref().and_then(|r| {
        if ctx.tr.is_en() {
            r.file_error_en.clone()
        } else {
            r.file_error.clone()
        }
    });
    ImportPage {
        tr: ctx.tr,
        nav: ctx.nav,
        kind: kind.to_string(),
        report,
        file_error,
    }
    .into_response()
}

pub async fn form(page: Page) -> Response {
    render(page.at("import"), "people", None)
}

/// Upload = dry run. The page shows counts, row errors and a preview; the
/// batch is kept so "import now" commits exactly the checked file.
pub async fn upload(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    req: Request,
) -> AppResult<Response> {
    let ctx = page.at("import");
    let (kind, name, bytes) = read_kind_and_file(req).await?;
    let report = imports::run(&state.db, &state.actor(&caller), kind, &name, &bytes, true).await?;
    Ok(render(ctx, kind.as_str(), Some(report)))
}

async fn read_kind_and_file(req: Request) -> AppResult<(ImportKind, String, axum::body::Bytes)> {
    use axum::extract::FromRequest;
    let mut mp = axum::extract::Multipart::from_request(req, &())
        .await
        .map_err(|e| {
            AppError::bad_request(format!("上传格式错误：{e}"), format!("bad upload: {e}"))
        })?;
    let mut kind = ImportKind::People;
    let mut file = None;
    while let Some(field) = mp.next_field().await.map_err(|_| {
        AppError::new(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "文件过大（上限 32 MB）",
            "file too large",
        )
    })? {
        match field.name() {
            Some("kind") => kind = parse_kind(&field.text().await.unwrap_or_default())?,
            Some("file") => {
                let name = field.file_name().unwrap_or("upload").to_string();
                let bytes = field.bytes().await.map_err(|_| {
                    AppError::new(
                        axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                        "payload_too_large",
                        "文件过大（上限 32 MB）",
                        "file too large",
                    )
                })?;
                file = Some((name, bytes));
            }
            _ => {}
        }
    }
    let (name, bytes) =
        file.ok_or_else(|| AppError::bad_request("请选择要上传的文件", "choose a file to upload"))?;
    Ok((kind, name, bytes))
}

pub async fn batch(
    State(state): State<AppState>,
    Me(_caller): Me,
    page: Page,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let ctx = page.at("import");
    let (kind, report, _) = imports::batch(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("导入批次", "import batch"))?;
    Ok(render(ctx, kind.as_str(), Some(report)))
}

/// Re-runs the stored file for real: all rows or none.
pub async fn commit(
    State(state): State<AppState>,
    Me(caller): Me,
    page: Page,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let ctx = page.at("import");
    let (kind, old, bytes) = imports::batch(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("导入批次", "import batch"))?;
    let report = imports::run(
        &state.db,
        &state.actor(&caller),
        kind,
        &old.file_name,
        &bytes,
        false,
    )
    .await?;
    Ok(render(ctx, kind.as_str(), Some(report)))
}

/// An empty workbook with the headers the importer expects and one example row.
pub async fn template(Path(kind): Path<String>) -> AppResult<Response> {
    let kind = parse_kind(kind.trim_end_matches(".xlsx"))?;
    let t = |s: &str| Cell::Text(s.into());
    let (name, headers, example) = match kind {
        ImportKind::People => (
            "人员导入模板.xlsx",
            vec![
                "工号",
                "姓名",
                "部门",
                "上级工号",
                "岗位族",
                "职级",
                "入职日期",
                "在职状态",
                "邮箱",
                "企业微信ID",
            ],
            vec![
                t("E10001"),
                t("张伟"),
                t("HD-SH1"),
                t("M2001"),
                t("销售代表"),
                t("P4"),
                Cell::Date(chrono::NaiveDate::from_ymd_opt(2024, 3, 1).unwrap_or_default()),
                t("在职"),
                t("zhangwei@example.com"),
                t("ZhangWei"),
            ],
        ),
        ImportKind::Customers => (
            "客户导入模板.xlsx",
            vec![
                "客户编码",
                "客户名称",
                "客户等级",
                "大区",
                "负责人工号",
                "签约日期",
            ],
            vec![
                t("CRM-000123"),
                t("上海市第一人民医院"),
                t("A"),
                t("华东大区"),
                t("E10001"),
                Cell::Date(chrono::NaiveDate::from_ymd_opt(2026, 10, 15).unwrap_or_default()),
            ],
        ),
        ImportKind::Events => (
            "客户评价与项目交付导入模板.xlsx",
            vec![
                "类型",
                "工号",
                "客户编码",
                "日期",
                "评分",
                "承诺交付日期",
                "实际交付日期",
                "备注",
            ],
            vec![
                t("客户评价"),
                t("E10001"),
                t("CRM-000123"),
                Cell::Date(chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap_or_default()),
                t("5"),
                t(""),
                t(""),
                t("装机培训细致"),
            ],
        ),
        ImportKind::Goals => (
            "目标与权重导入模板.xlsx",
            vec!["工号", "姓名", "指标编码", "目标值", "权重", "周期"],
            vec![t("E10001"), t("张伟"), t("FOC"), t("35"), t("25%"), t("")],
        ),
        ImportKind::OrgUnits => (
            "组织架构导入模板.xlsx",
            vec!["部门编码", "部门名称", "上级部门编码", "类型", "排序"],
            vec![
                t("HD-SH1"),
                t("上海一组"),
                t("HD"),
                t("团队"),
                Cell::Number(1.0),
            ],
        ),
    };
    let bytes = XlsxTable {
        sheet_name: "导入".into(),
        headers: headers.into_iter().map(String::from).collect(),
        rows: vec![example],
        widths: vec![],
    }
    .to_bytes()
    .map_err(AppError::internal)?;
    Ok(crate::xlsx_response(name, bytes))
}
