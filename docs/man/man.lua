-- SPDX-License-Identifier: BSD-3-Clause
-- pandoc filter: a page of docs/ as a man page (docs/man/meson.build).
-- - The page's own title (its level-1 heading) gives way to the NAME section
--   that man(7) and lexgrog(1) expect (from the metadata field whatis, "NAME
--   - what it is"); the other headings move up a level (.SH in capitals,
--   .SS).
-- - Links into the repository become their text: a man page has no docs/
--   beside it. Links to the web keep their address.
-- - A table becomes a list of tagged paragraphs (.TP), its first column the
--   tag: tbl's fixed columns would not fit in 80 columns of a terminal.

local function is_web(target)
  return target:match('^%a[%w+.-]*:') ~= nil
end

function Link(el)
  if is_web(el.target) then
    return nil
  end
  return el.content
end

-- The inlines of a cell's blocks, for a tag or a run-in label
local function inlines(blocks)
  local out = pandoc.List()
  for i, b in ipairs(blocks) do
    if i > 1 then
      out:insert(pandoc.Space())
    end
    if b.content then
      out:extend(b.content)
    end
  end
  return out
end

function Table(el)
  -- GitHub reads "\|" in a cell as "|", in code too; pandoc keeps the backslash there
  el = pandoc.walk_block(el, {Code = function(c)
    c.text = c.text:gsub('\\|', '|')
    return c
  end})
  local t = pandoc.utils.to_simple_table(el)
  local items = pandoc.List()
  for _, row in ipairs(t.rows) do
    local def = pandoc.List()
    for k = 2, #row do
      if k == 2 then
        def:extend(row[k])
      else
        -- a further column is labelled with its heading: "default: 4460"
        local text = pandoc.List({pandoc.Emph(inlines(t.headers[k])), pandoc.Str(':'),
          pandoc.Space()})
        text:extend(inlines(row[k]))
        def:insert(pandoc.Para(text))
      end
    end
    items:insert({inlines(row[1]), {def}})
  end
  return pandoc.DefinitionList(items)
end

function Pandoc(doc)
  local blocks = pandoc.List()
  local whatis = doc.meta.whatis and pandoc.utils.stringify(doc.meta.whatis)
  if whatis then
    local name, desc = whatis:match('^(%S+) %- (.*)$')
    blocks:insert(pandoc.Header(1, 'NAME'))
    -- "\-": the separator lexgrog and whatis look for
    blocks:insert(pandoc.Plain({pandoc.RawInline('man', name .. ' \\- ' .. desc)}))
  end
  for _, b in ipairs(doc.blocks) do
    if b.t == 'Header' then
      if b.level > 1 then
        b.level = b.level - 1
        if b.level == 1 then
          -- section names in capitals, as man(7) has them
          b = pandoc.walk_block(b, {Str = function(t) return pandoc.Str(t.text:upper()) end})
        end
        blocks:insert(b)
      end
    else
      blocks:insert(b)
    end
  end
  doc.blocks = blocks
  return doc
end
