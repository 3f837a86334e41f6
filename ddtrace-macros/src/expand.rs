//! Turning a function into its traced form.
//!
//! Every expansion starts the span through `::ddtrace::macro_support`, which returns `None`
//! when the global tracer is disabled; tags and error recording sit behind that `Some`, so the
//! disabled path costs one check. Four shapes of function are told apart:
//!
//! - a synchronous function: the span is started active, the body runs inline (inside a
//!   closure when `err` needs the return value), and the span finishes when the function
//!   returns or unwinds;
//! - an `async fn`: the span starts at the first poll and the body becomes an `async move`
//!   block wrapped in `macro_support::Traced`, which makes the span active on each of its
//!   polls only;
//! - a function whose body ends in `Box::pin(async move { ... })`, which is what
//!   `#[async_trait]` makes of an `async fn`: that block is wrapped the same way;
//! - a function returning `impl Future`: its body runs with the span active and the future it
//!   returns is wrapped.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;
use syn::{
    Block, Error, Expr, FnArg, GenericArgument, Ident, Item, ItemFn, Pat, PathArguments,
    ReturnType, Stmt, Token, TraitItemFn, Type, TypeParamBound,
};

use crate::args::{Args, ErrMode, TagValue};

/// Expands `#[traced(args)] item`; errors leave the item as it was, beside the error.
pub(crate) fn traced(args: TokenStream, item: TokenStream) -> TokenStream {
    let result = syn::parse2::<Args>(args).and_then(|args| {
        let function = parse_function(item.clone())?;
        expand(args, function)
    });
    match result {
        Ok(tokens) => tokens,
        Err(error) => {
            let error = error.to_compile_error();
            quote!(#error #item)
        }
    }
}

fn parse_function(item: TokenStream) -> syn::Result<ItemFn> {
    let item: Item = syn::parse2(item)?;
    let keyword = match item {
        Item::Fn(function) => return Ok(function),
        Item::Verbatim(tokens) => {
            if let Ok(declaration) = syn::parse2::<TraitItemFn>(tokens.clone()) {
                return Err(Error::new(
                    declaration.sig.fn_token.span,
                    "`#[traced]` needs a function body; put it on the implementations instead",
                ));
            }
            tokens.span()
        }
        Item::Struct(i) => i.struct_token.span,
        Item::Enum(i) => i.enum_token.span,
        Item::Union(i) => i.union_token.span,
        Item::Const(i) => i.const_token.span,
        Item::Static(i) => i.static_token.span,
        Item::Mod(i) => i.mod_token.span,
        Item::Impl(i) => i.impl_token.span,
        Item::Trait(i) => i.trait_token.span,
        Item::Type(i) => i.type_token.span,
        Item::Use(i) => i.use_token.span,
        other => other.span(),
    };
    Err(Error::new(
        keyword,
        "`#[traced]` can only be used on functions and methods",
    ))
}

/// Where the body's future is, if the function is asynchronous in one of the shapes we know.
enum Shape {
    Sync,
    AsyncFn,
    BoxedAsync,
    ImplFuture,
}

fn shape(function: &ItemFn) -> Shape {
    if function.sig.asyncness.is_some() {
        return Shape::AsyncFn;
    }
    if boxed_async_block(&function.block).is_some() {
        return Shape::BoxedAsync;
    }
    if let ReturnType::Type(_, ty) = &function.sig.output
        && future_output(ty).is_some()
    {
        return Shape::ImplFuture;
    }
    Shape::Sync
}

/// The `async` block in a body ending with `Box::pin(async ...)`.
fn boxed_async_block(block: &Block) -> Option<&Expr> {
    let Some(Stmt::Expr(Expr::Call(call), None)) = block.stmts.last() else {
        return None;
    };
    let Expr::Path(path) = &*call.func else {
        return None;
    };
    let segments: Vec<_> = path.path.segments.iter().map(|s| &s.ident).collect();
    let is_box_pin = segments.len() >= 2
        && segments[segments.len() - 2] == "Box"
        && segments[segments.len() - 1] == "pin";
    match (is_box_pin, call.args.len(), call.args.first()) {
        (true, 1, Some(arg @ Expr::Async(_))) => Some(arg),
        _ => None,
    }
}

/// For `impl Future<Output = T> + ...`: `Some(Some(T))`; `Some(None)` when no `Output` is named.
fn future_output(ty: &Type) -> Option<Option<&Type>> {
    let Type::ImplTrait(impl_trait) = ty else {
        return None;
    };
    impl_trait.bounds.iter().find_map(|bound| {
        let TypeParamBound::Trait(bound) = bound else {
            return None;
        };
        let last = bound.path.segments.last()?;
        if last.ident != "Future" {
            return None;
        }
        let output = match &last.arguments {
            PathArguments::AngleBracketed(args) => args.args.iter().find_map(|arg| match arg {
                GenericArgument::AssocType(assoc) if assoc.ident == "Output" => Some(&assoc.ty),
                _ => None,
            }),
            _ => None,
        };
        Some(output)
    })
}

/// `ty` with every `impl Trait` replaced by `_`, so that it can annotate a `let` or a turbofish.
fn infer_impl_trait(ty: &Type) -> Type {
    struct Replace;
    impl VisitMut for Replace {
        fn visit_type_mut(&mut self, ty: &mut Type) {
            if let Type::ImplTrait(impl_trait) = ty {
                *ty = Type::Infer(syn::TypeInfer {
                    underscore_token: Token![_](impl_trait.impl_token.span),
                });
            } else {
                syn::visit_mut::visit_type_mut(self, ty);
            }
        }
    }
    let mut ty = ty.clone();
    Replace.visit_type_mut(&mut ty);
    ty
}

/// The names the function's arguments bind.
fn argument_names(function: &ItemFn) -> Vec<Ident> {
    fn collect(pat: &Pat, names: &mut Vec<Ident>) {
        match pat {
            Pat::Ident(p) => names.push(p.ident.clone()),
            Pat::Reference(p) => collect(&p.pat, names),
            Pat::Type(p) => collect(&p.pat, names),
            Pat::Tuple(p) => p.elems.iter().for_each(|p| collect(p, names)),
            Pat::TupleStruct(p) => p.elems.iter().for_each(|p| collect(p, names)),
            Pat::Struct(p) => p.fields.iter().for_each(|f| collect(&f.pat, names)),
            Pat::Slice(p) => p.elems.iter().for_each(|p| collect(p, names)),
            _ => {}
        }
    }
    let mut names = Vec::new();
    for input in &function.sig.inputs {
        match input {
            FnArg::Receiver(r) => names.push(Ident::new("self", r.self_token.span)),
            FnArg::Typed(t) => collect(&t.pat, &mut names),
        }
    }
    names
}

fn check(args: &Args, function: &ItemFn) -> syn::Result<()> {
    if let Some(constness) = &function.sig.constness {
        return Err(Error::new(
            constness.span,
            "`#[traced]` cannot be used on a `const fn`",
        ));
    }
    let names = argument_names(function);
    let fn_name = &function.sig.ident;
    for skipped in &args.skip {
        if !names.iter().any(|n| n == skipped) {
            return Err(Error::new(
                skipped.span(),
                format!("`{skipped}` is not an argument of `{fn_name}`"),
            ));
        }
    }
    for tag in &args.tags {
        let TagValue::Argument(ident) = &tag.value else {
            continue;
        };
        if !names.iter().any(|n| n == ident) {
            return Err(Error::new(
                ident.span(),
                format!(
                    "`{ident}` is not an argument of `{fn_name}`; to record an expression, \
                     write `{ident} = <expression>`"
                ),
            ));
        }
        if args.skip_all.is_some() || args.skip.iter().any(|s| s == ident) {
            return Err(Error::new(
                ident.span(),
                format!("`{ident}` is skipped, so it cannot be recorded"),
            ));
        }
    }
    Ok(())
}

fn expand(args: Args, mut function: ItemFn) -> syn::Result<TokenStream> {
    check(&args, &function)?;
    let span_var = Ident::new("__dd_span", Span::mixed_site());
    let meta = meta(&args, &function.sig.ident);
    let tags = tags(&args, &span_var);
    let recorder = recorder(&args);
    let block = &function.block;
    let new_block = match shape(&function) {
        Shape::Sync => {
            let start = quote! {
                let #span_var = ::ddtrace::macro_support::enter(#meta);
                if let ::core::option::Option::Some(#span_var) = #span_var.span() {
                    #tags
                }
            };
            match &args.err {
                None => quote!({ #start #block }),
                Some(mode) => {
                    let ret = Ident::new("__dd_ret", Span::mixed_site());
                    let annotation = match &function.sig.output {
                        ReturnType::Type(_, ty) => {
                            let ty = infer_impl_trait(ty);
                            quote!(: #ty)
                        }
                        ReturnType::Default => quote!(: ()),
                    };
                    let record = record_err(mode, &span_var, &ret);
                    quote!({
                        #start
                        let #ret #annotation =
                            ::ddtrace::macro_support::call_once(move || #block);
                        if let ::core::option::Option::Some(#span_var) = #span_var.span() {
                            #record
                        }
                        #ret
                    })
                }
            }
        }
        Shape::AsyncFn => {
            let output = match &function.sig.output {
                ReturnType::Default => quote!(()),
                ReturnType::Type(_, ty) => infer_impl_trait(ty).into_token_stream(),
            };
            let future = with_output(quote!(async move #block), Some(output));
            quote!({
                let #span_var = ::ddtrace::macro_support::start(#meta);
                if let ::core::option::Option::Some(#span_var) = &#span_var {
                    #tags
                }
                ::ddtrace::macro_support::Traced::new(#future, #span_var, #recorder).await
            })
        }
        Shape::BoxedAsync => {
            let mut stmts = function.block.stmts.clone();
            let Some(Stmt::Expr(Expr::Call(call), None)) = stmts.last_mut() else {
                unreachable!("checked by `shape`");
            };
            let future = call.args.pop().expect("checked by `shape`").into_value();
            call.args.push(syn::parse_quote! {
                ::ddtrace::macro_support::Traced::new(#future, #span_var, #recorder)
            });
            quote!({
                let #span_var = ::ddtrace::macro_support::start(#meta);
                if let ::core::option::Option::Some(#span_var) = &#span_var {
                    #tags
                }
                #(#stmts)*
            })
        }
        Shape::ImplFuture => {
            let output = match &function.sig.output {
                ReturnType::Type(_, ty) => future_output(ty)
                    .flatten()
                    .map(|out| infer_impl_trait(out).into_token_stream()),
                ReturnType::Default => None,
            };
            let future_var = Ident::new("__dd_future", Span::mixed_site());
            let future = with_output(quote!(#future_var), output);
            quote!({
                let #span_var = ::ddtrace::macro_support::start(#meta);
                if let ::core::option::Option::Some(#span_var) = &#span_var {
                    #tags
                }
                let #future_var = ::ddtrace::macro_support::run_in(&#span_var, move || #block);
                ::ddtrace::macro_support::Traced::new(#future, #span_var, #recorder)
            })
        }
    };
    function.block = Box::new(syn::parse2(new_block)?);
    Ok(function.into_token_stream())
}

/// A reference to a `static` describing the span.
fn meta(args: &Args, fn_name: &Ident) -> TokenStream {
    let name = match &args.name {
        Some(name) => quote!(#name),
        None => {
            // `module.path.function`, as the Python tracer names wrapped functions: the agent
            // would turn `::` into `_`. Computed at compile time from `module_path!()`.
            let fn_name = fn_name.unraw().to_string();
            quote!({
                const __DD_PATH: &str = ::core::concat!(::core::module_path!(), "::", #fn_name);
                const __DD_LEN: usize = ::ddtrace::macro_support::dotted_len(__DD_PATH);
                const __DD_BYTES: [u8; __DD_LEN] =
                    ::ddtrace::macro_support::dotted::<__DD_LEN>(__DD_PATH);
                match ::core::str::from_utf8(&__DD_BYTES) {
                    ::core::result::Result::Ok(name) => name,
                    ::core::result::Result::Err(_) => __DD_PATH,
                }
            })
        }
    };
    let optional = |lit: &Option<syn::LitStr>| match lit {
        Some(lit) => quote!(::core::option::Option::Some(#lit)),
        None => quote!(::core::option::Option::None),
    };
    let service = optional(&args.service);
    let resource = optional(&args.resource);
    let span_type = optional(&args.span_type);
    quote!({
        static __DD_META: ::ddtrace::macro_support::Meta = ::ddtrace::macro_support::Meta {
            name: #name,
            service: #service,
            resource: #resource,
            span_type: #span_type,
        };
        &__DD_META
    })
}

/// Statements that set the tags on `span` (a `&SpanRef` or `&Span`).
fn tags(args: &Args, span: &Ident) -> TokenStream {
    if args.tags.is_empty() {
        return quote!();
    }
    let sets = args.tags.iter().map(|tag| {
        let key = &tag.key;
        let value = match &tag.value {
            TagValue::Argument(ident) => {
                quote_spanned!(ident.span()=> ::ddtrace::macro_support::TagProbe(&#ident).tag_value())
            }
            TagValue::Expr(Expr::Lit(lit)) => quote!(#lit),
            TagValue::Expr(expr) => {
                quote_spanned!(expr.span()=> ::ddtrace::macro_support::TagProbe(&(#expr)).tag_value())
            }
            TagValue::Display(expr) => quote_spanned!(expr.span()=> ::std::format!("{}", #expr)),
            TagValue::Debug(expr) => quote_spanned!(expr.span()=> ::std::format!("{:?}", #expr)),
        };
        quote_spanned!(tag.key_span=> #span.set_tag(#key, #value);)
    });
    quote! {
        #[allow(unused_imports)]
        use ::ddtrace::macro_support::ToTagValue as _;
        #(#sets)*
    }
}

/// Code that records the error in `result` (a `Result` or a reference to one) on `span`.
fn record_err(mode: &ErrMode, span: &Ident, result: &Ident) -> TokenStream {
    let error = Ident::new("__dd_error", Span::mixed_site());
    let record = match mode {
        ErrMode::Auto(at) => quote_spanned! {*at=> {
            #[allow(unused_imports)]
            use ::ddtrace::macro_support::{RecordDisplayError as _, RecordStdError as _};
            (&&::ddtrace::macro_support::ErrorProbe(#error)).record_error(#span)
        }},
        ErrMode::Display(at) => {
            quote_spanned!(*at=> ::ddtrace::macro_support::record_display(#span, #error))
        }
        ErrMode::Debug(at) => {
            quote_spanned!(*at=> ::ddtrace::macro_support::record_debug(#span, #error))
        }
    };
    // Spanned at `err`, so that a function that does not return a `Result` gets its error there.
    let pattern = quote_spanned!(mode.span()=> ::core::result::Result::Err(#error));
    quote! {
        if let #pattern = &#result {
            #record;
        }
    }
}

/// The closure that looks at a future's output before its span finishes.
fn recorder(args: &Args) -> TokenStream {
    match &args.err {
        None => quote!(::ddtrace::macro_support::ignore_output),
        Some(mode) => {
            let span = Ident::new("__dd_span", Span::mixed_site());
            let output = Ident::new("__dd_output", Span::mixed_site());
            let record = record_err(mode, &span, &output);
            quote!(|#span: &::ddtrace::SpanRef, #output| { #record })
        }
    }
}

/// `future`, with its output type pinned to `output` when it is known.
fn with_output(future: TokenStream, output: Option<TokenStream>) -> TokenStream {
    match output {
        Some(output) => quote!(::ddtrace::macro_support::expect_output::<#output, _>(#future)),
        None => future,
    }
}
