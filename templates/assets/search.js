/* savoir — offline site search.
 *
 * The index (written by `savoir build` under search/, see src/search/site_index.rs) is a set of
 * .js files that call savoirSearch.<kind>(key, data); this script loads them with <script>
 * tags (file:// forbids fetch), only those a query needs. The query is analysed as the index
 * was: words, elision, lower case, stop words, accents folded; a word is then read as the stem
 * the index lists for it, or as the longest known stem that starts it and leaves a suffix
 * stemming removes, or (a typo) as the closest stem. Scores are the index's
 * BM25 scores summed over the query's words; notes whose title or aliases hold every word come
 * first. Results show as you type; `/` or Ctrl-K focuses the box, arrows move, Enter opens;
 * search.html?q=… lists every result. The first index file (a few kB) is read when the page is
 * idle; a snippet analyses only the words up to its first match and those it shows.
 */
(function (global) {
  'use strict';

  var SNIPPET_CHARS = 160;

  /* ---------- analysis ---------- */

  var WORD = /[\p{Alphabetic}\p{N}]+/gu;
  var LETTER = /\p{Alphabetic}/u;
  var WORD_CHAR = /[\p{Alphabetic}\p{N}]/u;
  var ASCII = /^[\x00-\x7f]*$/;
  var SPECIAL_FOLDS = { 'œ': 'oe', 'æ': 'ae', 'ß': 'ss', 'ø': 'o', 'đ': 'd', 'ł': 'l', 'ı': 'i', 'ð': 'd', 'þ': 'th' };
  var encoder = typeof TextEncoder !== 'undefined' ? new TextEncoder() : null;

  function byteLength(word) {
    return encoder ? encoder.encode(word).length : unescape(encodeURIComponent(word)).length;
  }

  /** Accents and ligatures folded to ASCII, as tantivy's AsciiFoldingFilter does for Latin text. */
  function fold(word) {
    if (ASCII.test(word)) return word;
    var out = '';
    var decomposed = word.normalize('NFD').replace(/\p{M}/gu, '');
    for (var ch of decomposed) out += SPECIAL_FOLDS[ch] || ch;
    return out;
  }

  /**
   * Calls `visit({form, start, end})` for each analysed word form of `text` from `from` on,
   * in order, until `visit` returns true.
   */
  function eachWord(text, meta, from, visit) {
    var stop = meta.stopSet;
    var match;
    WORD.lastIndex = from;
    while ((match = WORD.exec(text)) !== null) {
      var word = match[0];
      var end = match.index + word.length;
      var after = text.charAt(end);
      var elided = (after === "'" || after === '\u2019') && LETTER.test(text.charAt(end + 1));
      var lower = word.toLowerCase();
      if (elided && meta.elisionSet.has(lower)) continue;
      // A UTF-16 unit is at most 3 bytes of UTF-8: only long words can reach the limit.
      if (word.length >= 14 && byteLength(word) >= 40) continue;
      if (stop.has(lower)) continue;
      if (visit({ form: fold(lower), start: match.index, end: end })) return;
    }
  }

  /** The analysed word forms of `text`, with their place: [{form, start, end}]. */
  function analyse(text, meta) {
    var out = [];
    eachWord(text, meta, 0, function (w) { out.push(w); });
    return out;
  }

  /** Optimal string alignment distance (a transposition counts as one edit). */
  function editDistance(a, b) {
    a = Array.from(a);
    b = Array.from(b);
    var rows = [];
    for (var i = 0; i <= a.length; i++) {
      rows.push([i]);
      for (var j = 1; j <= b.length; j++) {
        if (i === 0) { rows[i].push(j); continue; }
        var cost = a[i - 1] === b[j - 1] ? 0 : 1;
        var best = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
        if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
          best = Math.min(best, rows[i - 2][j - 2] + 1);
        }
        rows[i].push(best);
      }
    }
    return rows[a.length][b.length];
  }

  function chunkKey(word) {
    return Array.from(word).slice(0, 2).join('');
  }

  /* ---------- the engine: loading, reading words, scoring ---------- */

  /**
   * A search engine over the index files; `load(path)` runs the index file at `path` (relative
   * to the index folder) and resolves when it has run.
   */
  function Engine(load) {
    var self = this;
    var loaded = {};
    var store = { meta: null, chunk: Object.create(null), postings: Object.create(null), doc: {} };
    this.registry = {
      meta: function (_, data) {
        data.stopSet = new Set(data.stop_words);
        data.elisionSet = new Set(data.elisions);
        // data.chunks lists the chunk keys of each t/ file.
        data.chunkFile = new Map();
        data.chunks.forEach(function (keys, n) {
          keys.forEach(function (key) { data.chunkFile.set(key, n); });
        });
        data.suffixSet = new Set(data.suffixes);
        store.meta = data;
      },
      chunks: function (_, chunks) { Object.assign(store.chunk, chunks); },
      postings: function (_, lists) { Object.assign(store.postings, lists); },
      docs: function (first, list) {
        list.forEach(function (data, i) { store.doc[first + i] = data; });
      }
    };
    function once(path) {
      if (!loaded[path]) loaded[path] = load(path);
      return loaded[path];
    }
    this.bytesLoaded = 0;
    this.meta = function () {
      return once('index.js').then(function () { return store.meta; });
    };
    function chunk(key) {
      return self.meta().then(function (meta) {
        if (!meta.chunkFile.has(key)) return null;
        return once('t/' + meta.chunkFile.get(key) + '.js').then(function () {
          return store.chunk[key];
        });
      });
    }
    function termPostings(stem) {
      return chunk(chunkKey(stem)).then(function (c) {
        var entry = c && c.terms[stem];
        if (!entry) return [];
        if (entry.p) return entry.p;
        return once('p/' + entry.f + '.js').then(function () { return store.postings[stem]; });
      });
    }
    /** The stems a word form is read as: its own, or the closest by a typo (empty if none). */
    function stemsOf(form, meta) {
      return chunk(chunkKey(form)).then(function (c) {
        if (!c) return [];
        if (c.forms[form]) return [c.forms[form]];
        var chars = Array.from(form);
        for (var n = chars.length; n >= 1; n--) {
          var prefix = chars.slice(0, n).join('');
          var suffix = chars.slice(n).join('');
          if (Object.prototype.hasOwnProperty.call(c.terms, prefix) && meta.suffixSet.has(suffix)) return [prefix];
        }
        return nearest(form, c, meta);
      });
    }
    /**
     * Stems of the chunk within edit distance 1 (2 from 8 characters) of a start of `form`
     * that leaves a known suffix: the closest ones.
     */
    function nearest(form, c, meta) {
      var chars = Array.from(form);
      var allowed = chars.length >= 8 ? 2 : 1;
      var starts = [];
      for (var k = 1; k <= chars.length; k++) {
        if (meta.suffixSet.has(chars.slice(k).join(''))) starts.push(chars.slice(0, k).join(''));
      }
      var best = allowed + 1;
      var found = [];
      Object.keys(c.terms).forEach(function (stem) {
        var len = Array.from(stem).length;
        var d = Infinity;
        starts.forEach(function (start) {
          if (Math.abs(Array.from(start).length - len) <= allowed) d = Math.min(d, editDistance(stem, start));
        });
        if (d < best) { best = d; found = [stem]; } else if (d === best) { found.push(stem); }
      });
      return best <= allowed ? found : [];
    }

    /** Parses the query: words, "phrases" (read as words), +required, -excluded, field:word. */
    function parse(text, meta) {
      var parts = [];
      var re = /([+-]?)(?:[a-z]+:)?("([^"]*)"?|[^\s"]+)/g;
      var m;
      while ((m = re.exec(text)) !== null) {
        var body = m[3] !== undefined ? m[3] : m[2];
        analyse(body, meta).forEach(function (w) {
          parts.push({ form: w.form, required: m[1] === '+', excluded: m[1] === '-' });
        });
      }
      return parts;
    }

    /**
     * Runs a query: resolves to {hits: [{doc, score, title}], stems: [...]}, best first.
     */
    this.search = function (text, limit) {
      return self.meta().then(function (meta) {
        var parts = parse(text, meta);
        return Promise.all(parts.map(function (part) {
          return stemsOf(part.form, meta).then(function (stems) {
            return Promise.all(stems.map(termPostings)).then(function (lists) {
              return { part: part, stems: stems, lists: lists };
            });
          });
        }));
      }).then(function (terms) {
        var score = new Map();
        var titleWords = new Map();
        var required = [];
        var excluded = new Set();
        var positive = 0;
        terms.forEach(function (t) {
          var docs = new Set();
          var inTitle = new Set();
          t.lists.forEach(function (list) {
            for (var i = 0; i < list.length; i += 2) {
              var doc = list[i];
              docs.add(doc);
              if (t.part.excluded) continue;
              score.set(doc, (score.get(doc) || 0) + Math.floor(list[i + 1] / 2) / 100);
              if (list[i + 1] % 2 === 1) inTitle.add(doc);
            }
          });
          if (t.part.excluded) { docs.forEach(function (d) { excluded.add(d); }); return; }
          positive++;
          inTitle.forEach(function (d) { titleWords.set(d, (titleWords.get(d) || 0) + 1); });
          if (t.part.required) required.push(docs);
        });
        var hits = [];
        score.forEach(function (s, doc) {
          if (excluded.has(doc)) return;
          if (required.some(function (docs) { return !docs.has(doc); })) return;
          hits.push({ doc: doc, score: s, titleMatch: positive > 0 && titleWords.get(doc) === positive });
        });
        hits.sort(function (a, b) {
          return (b.titleMatch - a.titleMatch) || (b.score - a.score) || (a.doc - b.doc);
        });
        var stems = [];
        terms.forEach(function (t) { if (!t.part.excluded) stems.push.apply(stems, t.stems); });
        return { hits: hits.slice(0, limit), total: hits.length, stems: stems };
      });
    };

    /** The display data of a note: {title, id, url, tags, text}. */
    this.doc = function (n) {
      return self.meta().then(function (meta) {
        var file = Math.floor(n / meta.docs_per_file);
        return once('d/' + file + '.js').then(function () { return store.doc[n]; });
      });
    };

    /**
     * A snippet of `text` around the first word read as one of `stems`: [{text, mark}]. Only
     * the words up to the first match and those inside the snippet are analysed.
     */
    this.snippet = function (text, stems) {
      var meta = store.meta;
      var matches = function (w) {
        return stems.some(function (s) { return w.form.indexOf(s) === 0; });
      };
      var first = null;
      eachWord(text, meta, 0, function (w) { first = matches(w) ? w : null; return first !== null; });
      var start = 0;
      if (first) {
        start = Math.max(0, first.start - 40);
        var space = text.lastIndexOf(' ', start);
        start = start === 0 ? 0 : (space >= 0 && first.start - space < 60 ? space + 1 : start);
      }
      var end = Math.min(text.length, start + SNIPPET_CHARS);
      var cut = text.lastIndexOf(' ', end);
      if (end < text.length && cut > start + SNIPPET_CHARS / 2) end = cut;
      var words = [];
      var from = start;
      while (from > 0 && WORD_CHAR.test(text.charAt(from - 1))) from--;
      eachWord(text, meta, from, function (w) {
        if (w.end > end) return true;
        if (w.start >= start && matches(w)) words.push(w);
        return false;
      });
      var parts = [];
      var at = start;
      words.forEach(function (w) {
        if (w.start > at) parts.push({ text: text.slice(at, w.start), mark: false });
        parts.push({ text: text.slice(w.start, w.end), mark: true });
        at = w.end;
      });
      if (at < end) parts.push({ text: text.slice(at, end), mark: false });
      if (start > 0) parts.unshift({ text: '…', mark: false });
      if (end < text.length) parts.push({ text: '…', mark: false });
      return parts.map(function (p) { p.text = p.text.replace(/\s+/g, ' '); return p; });
    };
  }

  /* ---------- the page ---------- */

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }

  function snippetHtml(parts) {
    return parts.map(function (p) {
      return p.mark ? '<mark>' + escapeHtml(p.text) + '</mark>' : escapeHtml(p.text);
    }).join('');
  }

  /** The site root, from this script's address (<root>/assets/search.<hash>.js). */
  function siteRoot(script) {
    var src = script && script.getAttribute('src');
    if (!src) return '';
    return src.replace(/assets\/search(\.[0-9a-f]+)?\.js(\?.*)?$/, '');
  }

  function scriptLoader(base) {
    return function (path) {
      return new Promise(function (resolve, reject) {
        var s = document.createElement('script');
        s.src = base + path;
        s.onload = function () { resolve(); };
        s.onerror = function () { reject(new Error('cannot load the search index file ' + path)); };
        document.head.appendChild(s);
      });
    };
  }

  /** Renders hits (with their notes loaded) as list items. */
  function renderHits(engine, root, result, list, withSnippets) {
    return Promise.all(result.hits.map(function (h) { return engine.doc(h.doc); })).then(function (docs) {
      list.innerHTML = docs.map(function (d, i) {
        var snippet = withSnippets ? '<div class="search-snippet">' + snippetHtml(engine.snippet(d.text, result.stems)) + '</div>' : '';
        return '<li role="option" id="search-hit-' + i + '"><a href="' + escapeHtml(root + d.url) + '">' +
          '<span class="search-title">' + escapeHtml(d.title) + '</span></a>' + snippet + '</li>';
      }).join('');
      return docs;
    });
  }

  function attach(document) {
    var script = document.currentScript;
    var root = siteRoot(script);
    var engine = new Engine(scriptLoader(root + 'search/'));
    global.savoirSearch = engine.registry;
    var box = document.getElementById('search-box');
    var resultsSlot = document.getElementById('search-results');
    if (box) {
      // The index's first file (a few kB) is read while the page is idle, so that the first
      // query starts with it.
      var warm = function () { engine.meta().catch(function () {}); };
      (global.requestIdleCallback || global.setTimeout)(warm);
      attachBox(engine, root, box);
    }
    if (resultsSlot) attachResultsPage(engine, root, resultsSlot, box);
    document.addEventListener('keydown', function (e) {
      var typing = /^(INPUT|TEXTAREA|SELECT)$/.test((e.target && e.target.tagName) || '') || (e.target && e.target.isContentEditable);
      if (!box) return;
      if ((e.key === '/' && !typing) || (e.key.toLowerCase() === 'k' && (e.ctrlKey || e.metaKey))) {
        e.preventDefault();
        box.focus();
        box.select();
      }
    });
  }

  function attachBox(engine, root, box) {
    var list = document.createElement('ul');
    list.className = 'search-dropdown';
    list.id = 'search-dropdown';
    list.setAttribute('role', 'listbox');
    list.hidden = true;
    box.setAttribute('aria-controls', list.id);
    box.setAttribute('autocomplete', 'off');
    box.parentNode.insertBefore(list, box.nextSibling);
    var selected = -1;
    var generation = 0;

    function select(i) {
      var items = list.querySelectorAll('li');
      if (!items.length) return;
      selected = (i + items.length) % items.length;
      items.forEach(function (li, k) { li.classList.toggle('selected', k === selected); li.setAttribute('aria-selected', String(k === selected)); });
      box.setAttribute('aria-activedescendant', items[selected].id);
    }

    box.addEventListener('input', function () {
      var text = box.value.trim();
      var mine = ++generation;
      selected = -1;
      if (!text) { list.hidden = true; list.innerHTML = ''; return; }
      engine.search(text, 8).then(function (result) {
        if (mine !== generation) return null;
        return renderHits(engine, root, result, list, true).then(function () {
          if (mine !== generation) return;
          if (!result.hits.length) list.innerHTML = '<li class="search-empty">' + escapeHtml(box.dataset.noHits || '') + '</li>';
          list.hidden = false;
        });
      }).catch(function (err) { list.innerHTML = '<li class="search-empty">' + escapeHtml(err.message) + '</li>'; list.hidden = false; });
    });
    box.addEventListener('keydown', function (e) {
      if (e.key === 'ArrowDown') { e.preventDefault(); select(selected + 1); }
      else if (e.key === 'ArrowUp') { e.preventDefault(); select(selected - 1); }
      else if (e.key === 'Escape') { list.hidden = true; }
      else if (e.key === 'Enter' && selected >= 0) {
        var link = list.querySelectorAll('li')[selected].querySelector('a');
        if (link) { e.preventDefault(); global.location.href = link.href; }
      }
    });
    box.addEventListener('blur', function () { setTimeout(function () { list.hidden = true; }, 200); });
  }

  function attachResultsPage(engine, root, slot, box) {
    var query = new URLSearchParams(global.location.search).get('q') || '';
    if (box) box.value = query;
    var pageBox = document.getElementById('search-page-box');
    if (pageBox) pageBox.value = query;
    if (!query.trim()) return;
    var list = document.createElement('ol');
    list.className = 'search-results-list';
    slot.appendChild(list);
    engine.search(query, 50).then(function (result) {
      var summary = document.createElement('p');
      summary.className = 'search-summary';
      var labels = (box && box.dataset) || {};
      var count = result.total === 1 ? labels.oneHit : (labels.manyHits || '').replace('{n}', result.total);
      summary.textContent = result.total ? count : (labels.noHitsFor || '').replace('{q}', query);
      slot.insertBefore(summary, list);
      return renderHits(engine, root, result, list, true);
    });
  }

  if (typeof module !== 'undefined' && module.exports) {
    module.exports = { Engine: Engine, analyse: analyse, fold: fold, editDistance: editDistance };
  } else if (typeof document !== 'undefined') {
    attach(document);
  }
})(typeof window !== 'undefined' ? window : globalThis);
