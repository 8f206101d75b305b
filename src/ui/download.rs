//! Offering files to the visitor: text (JSON, CSV, SVG) as a Blob link, canvases and SVG charts
//! as PNG. Everything is made in this tab.

use crate::error::Failure;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

/// Offers `text` as a download named `name`.
pub fn download(name: &str, mime: &str, text: &str) -> Result<(), Failure> {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts)
        .map_err(|_| "cannot build the file")?;
    let url =
        web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| "cannot offer the file")?;
    click_link(name, &url)?;
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

/// Follows `url` (a Blob or data URL) as a download named `name`.
pub fn click_link(name: &str, url: &str) -> Result<(), Failure> {
    let doc = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let a: web_sys::HtmlAnchorElement = doc
        .create_element("a")
        .map_err(|_| "no link")?
        .unchecked_into();
    a.set_href(url);
    a.set_download(name);
    a.click();
    Ok(())
}

/// Renders an SVG chart (`width × height`) onto a white canvas and offers it as PNG `name`.
pub fn svg_as_png(name: &str, svg: &str, width: u32, height: u32) -> Result<(), Failure> {
    let doc = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let img = web_sys::HtmlImageElement::new().map_err(|_| "no image element")?;
    let canvas: web_sys::HtmlCanvasElement = doc
        .create_element("canvas")
        .map_err(|_| "no canvas")?
        .unchecked_into();
    canvas.set_width(width * 2);
    canvas.set_height(height * 2);
    let name = name.to_string();
    let (img2, c2) = (img.clone(), canvas.clone());
    let onload = Closure::once_into_js(move || {
        if let Some(ctx) = c2
            .get_context("2d")
            .ok()
            .flatten()
            .and_then(|c| c.dyn_into::<web_sys::CanvasRenderingContext2d>().ok())
        {
            ctx.set_fill_style_str("#ffffff");
            ctx.fill_rect(0.0, 0.0, c2.width() as f64, c2.height() as f64);
            let _ = ctx.draw_image_with_html_image_element_and_dw_and_dh(
                &img2,
                0.0,
                0.0,
                c2.width() as f64,
                c2.height() as f64,
            );
            if let Ok(url) = c2.to_data_url() {
                let _ = click_link(&name, &url);
            }
        }
    });
    img.set_onload(Some(onload.unchecked_ref()));
    let encoded = js_sys::encode_uri_component(svg);
    img.set_src(&format!("data:image/svg+xml;charset=utf-8,{encoded}"));
    Ok(())
}
