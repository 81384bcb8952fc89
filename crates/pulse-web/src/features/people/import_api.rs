use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use pulse_store::imports::{self, ImportKind, ImportReport};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::AppState;
use crate::access::Me;
use crate::api::ApiQuery;
use crate::error::{AppError, AppResult};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImportParams {
    /// `true` (default): check and count only. `false`: import all rows or none.
    pub dry_run: Option<bool>,
    /// File name to record when the body is the raw file.
    pub file_name: Option<String>,
    /// CSRF token for browser uploads (multipart forms).
    #[serde(rename = "_csrf")]
    pub csrf: Option<String>,
}

pub fn parse_kind(kind: &str) -> AppResult<ImportKind> {
    ImportKind::parse(kind).ok_or_else(|| AppError::not_found("导入类型", "import kind"))
}

/// The uploaded file: a multipart field named `file`, or the raw body.
pub async fn read_upload(req: Request, state: &AppState) -> AppResult<(String, Bytes)> {
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let too_large = || {
        AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "文件过大（上限 32 MB）",
            "file too large (limit 32 MB)",
        )
    };
    if is_multipart {
        let mut mp = Multipart::from_request(req, state).await.map_err(|e| {
            AppError::bad_request(format!("上传格式错误：{e}"), format!("bad upload: {e}"))
        })?;
        while let Some(field) = mp.next_field().await.map_err(|_| too_large())? {
            if field.name() == Some("file") {
                let name = field.file_name().unwrap_or("upload").to_string();
                let bytes = field.bytes().await.map_err(|_| too_large())?;
                return Ok((name, bytes));
            }
        }
        Err(AppError::bad_request(
            "请选择要上传的文件",
            "no file field in the upload",
        ))
    } else {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| too_large())?;
        Ok((String::new(), bytes))
    }
}

pub fn report_response(report: ImportReport) -> Response {
    if report.ok() {
        let status = if report.committed {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        return (status, Json(serde_json::json!({ "report": report }))).into_response();
    }
    let (zh, en) = match &report.file_error {
        Some(e) => (e.clone(), report.file_error_en.clone().unwrap_or_default()),
        None => (
            format!(
                "{} 行数据有错误，未导入任何数据",
                report
                    .errors
                    .iter()
                    .map(|e| e.row)
                    .collect::<std::collections::BTreeSet<_>>()
                    .len()
            ),
            format!(
                "{} problems found; nothing was imported",
                report.errors.len()
            ),
        ),
    };
    let body = serde_json::json!({
        "error": {"code": "import_rejected", "message": zh, "message_en": en},
        "report": report,
    });
    (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
}

/// Import org units (`org_units`), people (`people`) or targets and weights (`goals`) from .xlsx/.xls/.ods/.csv.
/// Send the file as the raw body or as multipart field `file`.
#[utoipa::path(post, path = "/api/v1/imports/{kind}", tag = "imports", params(ImportParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, description = "dry run: the report"), (status = 201, description = "imported"), (status = 422, body = crate::api::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Me(caller): Me,
    Path(kind): Path<String>,
    ApiQuery(params): ApiQuery<ImportParams>,
    req: Request,
) -> AppResult<Response> {
    let kind = parse_kind(&kind)?;
    let (name, bytes) = read_upload(req, &state).await?;
    let name = params
        .file_name
        .clone()
        .filter(|n| !n.is_empty())
        .unwrap_or(if name.is_empty() {
            "upload".into()
        } else {
            name
        });
    let report = imports::run(
        &state.db,
        &state.actor(&caller),
        kind,
        &name,
        &bytes,
        params.dry_run.unwrap_or(true),
    )
    .await?;
    Ok(report_response(report))
}

/// A stored import batch and its report.
#[utoipa::path(get, path = "/api/v1/imports/batches/{id}", tag = "imports", responses((status = 200, body = ImportReport), (status = 404, body = crate::api::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    _me: Me,
    Path(id): Path<i64>,
) -> AppResult<Json<ImportReport>> {
    let (_, report, _) = imports::batch(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("导入批次", "import batch"))?;
    Ok(Json(report))
}

/// The uploaded file with an added 错误信息 column.
#[utoipa::path(get, path = "/api/v1/imports/batches/{id}/errors.xlsx", tag = "imports", responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 404, body = crate::api::ErrorBody)))]
pub async fn errors_xlsx(
    State(state): State<AppState>,
    _me: Me,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let bytes = imports::error_workbook(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("错误报告", "error report"))?;
    Ok(crate::xlsx_response(
        &format!("import-{id}-errors.xlsx"),
        bytes,
    ))
}
