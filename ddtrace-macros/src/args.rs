//! Parsing the attribute's arguments: `#[traced(name = "...", skip(a), tags(k = v), err)]`.

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Error, Expr, Ident, LitStr, Token, parenthesized};

const KEYS: &str =
    "`name`, `service`, `resource`, `span_type`, `skip`, `skip_all`, `tags` or `err`";

/// Everything the attribute was given.
#[derive(Default)]
pub(crate) struct Args {
    pub(crate) name: Option<LitStr>,
    pub(crate) service: Option<LitStr>,
    pub(crate) resource: Option<LitStr>,
    pub(crate) span_type: Option<LitStr>,
    pub(crate) skip: Vec<Ident>,
    /// The `skip_all` token, if given.
    pub(crate) skip_all: Option<Ident>,
    pub(crate) tags: Vec<Tag>,
    pub(crate) err: Option<ErrMode>,
}

/// How `err` records the error value.
pub(crate) enum ErrMode {
    /// `err`: as a `std::error::Error` when it is one (message, type, sources), else `Display`.
    Auto(Span),
    /// `err(Display)`.
    Display(Span),
    /// `err(Debug)`.
    Debug(Span),
}

impl ErrMode {
    pub(crate) fn span(&self) -> Span {
        match self {
            ErrMode::Auto(s) | ErrMode::Display(s) | ErrMode::Debug(s) => *s,
        }
    }
}

/// One entry of `tags(...)`.
pub(crate) struct Tag {
    /// The tag's key, as written (`user.id`, `"http.route"`).
    pub(crate) key: String,
    pub(crate) key_span: Span,
    pub(crate) value: TagValue,
}

pub(crate) enum TagValue {
    /// `tags(user_id)`: the argument of that name.
    Argument(Ident),
    /// `key = expr`.
    Expr(Expr),
    /// `key = %expr`: its `Display`.
    Display(Expr),
    /// `key = ?expr`: its `Debug`.
    Debug(Expr),
}

fn set_once<T>(slot: &mut Option<T>, value: T, key: &Ident) -> syn::Result<()> {
    if slot.is_some() {
        return Err(Error::new(key.span(), format!("`{key}` is given twice")));
    }
    *slot = Some(value);
    Ok(())
}

fn string_value(input: ParseStream, key: &Ident) -> syn::Result<LitStr> {
    input.parse::<Token![=]>()?;
    if input.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        if lit.value().is_empty() {
            return Err(Error::new(lit.span(), format!("`{key}` must not be empty")));
        }
        return Ok(lit);
    }
    let value: Expr = input.parse()?;
    Err(Error::new(
        value.span(),
        format!("`{key}` takes a string literal, as in `{key} = \"...\"`"),
    ))
}

impl Parse for Args {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut args = Args::default();
        while !input.is_empty() {
            let key = Ident::parse_any(input)?;
            match key.to_string().as_str() {
                "name" => set_once(&mut args.name, string_value(input, &key)?, &key)?,
                "service" => set_once(&mut args.service, string_value(input, &key)?, &key)?,
                "resource" => set_once(&mut args.resource, string_value(input, &key)?, &key)?,
                "span_type" => set_once(&mut args.span_type, string_value(input, &key)?, &key)?,
                "skip" => {
                    if !args.skip.is_empty() {
                        return Err(Error::new(key.span(), "`skip` is given twice"));
                    }
                    let content;
                    parenthesized!(content in input);
                    // `parse_any`, for `skip(self)`.
                    let names = Punctuated::<Ident, Token![,]>::parse_terminated_with(
                        &content,
                        Ident::parse_any,
                    )?;
                    if names.is_empty() {
                        return Err(Error::new(
                            key.span(),
                            "`skip` takes the arguments to skip, as in `skip(password)`",
                        ));
                    }
                    args.skip = names.into_iter().collect();
                }
                "skip_all" => set_once(&mut args.skip_all, key.clone(), &key)?,
                "tags" => {
                    if !args.tags.is_empty() {
                        return Err(Error::new(key.span(), "`tags` is given twice"));
                    }
                    let content;
                    parenthesized!(content in input);
                    let tags = Punctuated::<Tag, Token![,]>::parse_terminated(&content)?;
                    for (i, tag) in tags.iter().enumerate() {
                        if tags.iter().take(i).any(|t| t.key == tag.key) {
                            return Err(Error::new(
                                tag.key_span,
                                format!("the tag `{}` is given twice", tag.key),
                            ));
                        }
                    }
                    args.tags = tags.into_iter().collect();
                }
                "err" => {
                    let mode = if input.peek(syn::token::Paren) {
                        let content;
                        parenthesized!(content in input);
                        let how: Ident = content.parse()?;
                        if !content.is_empty() {
                            return Err(content.error("expected `)`"));
                        }
                        match how.to_string().as_str() {
                            "Display" => ErrMode::Display(key.span()),
                            "Debug" => ErrMode::Debug(key.span()),
                            _ => {
                                return Err(Error::new(
                                    how.span(),
                                    "`err` takes `Display` or `Debug`, as in `err(Display)`",
                                ));
                            }
                        }
                    } else {
                        ErrMode::Auto(key.span())
                    };
                    set_once(&mut args.err, mode, &key)?;
                }
                _ => {
                    return Err(Error::new(
                        key.span(),
                        format!("unknown argument `{key}`; expected {KEYS}"),
                    ));
                }
            }
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        if let (Some(_), Some(first)) = (&args.skip_all, args.skip.first()) {
            return Err(Error::new(
                first.span(),
                "`skip(...)` is redundant next to `skip_all`",
            ));
        }
        Ok(args)
    }
}

impl Parse for Tag {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let (key, key_span, single) = if input.peek(LitStr) {
            let lit: LitStr = input.parse()?;
            if lit.value().is_empty() {
                return Err(Error::new(lit.span(), "a tag key must not be empty"));
            }
            (lit.value(), lit.span(), None)
        } else {
            let first = Ident::parse_any(input)?;
            let mut key = first.unraw().to_string();
            let mut span = first.span();
            let mut dotted = false;
            while input.peek(Token![.]) {
                input.parse::<Token![.]>()?;
                let part = Ident::parse_any(input)?;
                key.push('.');
                key.push_str(&part.unraw().to_string());
                span = span.join(part.span()).unwrap_or(span);
                dotted = true;
            }
            (key, span, (!dotted).then_some(first))
        };
        if !input.peek(Token![=]) {
            return match single {
                Some(ident) => Ok(Tag {
                    key,
                    key_span,
                    value: TagValue::Argument(ident),
                }),
                None => Err(Error::new(
                    key_span,
                    format!("the tag `{key}` needs a value, as in `{key} = ...`"),
                )),
            };
        }
        input.parse::<Token![=]>()?;
        let value = if input.peek(Token![%]) {
            input.parse::<Token![%]>()?;
            TagValue::Display(input.parse()?)
        } else if input.peek(Token![?]) {
            input.parse::<Token![?]>()?;
            TagValue::Debug(input.parse()?)
        } else {
            TagValue::Expr(input.parse()?)
        };
        Ok(Tag {
            key,
            key_span,
            value,
        })
    }
}
