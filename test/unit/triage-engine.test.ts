import { expect } from 'chai';
import { isShouting, TriageEngine } from '../../triage/engine';
import { Level, loadLexicon } from '../../triage/lexicon';

// The rules alone: these are the rules' phenomena (the second opinion has its own tests, triage-model.test.ts).
const engine = TriageEngine.load(loadLexicon(), undefined, null);
const level = (text: string) => engine.assess(text).level;

/** Each phenomenon from the triage issue, with messages that must and must not be flagged. */
const PHENOMENA: Record<string, [string, Level][]> = {
  'plain statements of intent': [
    ['i am going to kill myself', 'high'],
    ['i want to end my life', 'high'],
    ['i want to die', 'high'],
    ['i keep thinking about suicide', 'medium'],
    ['can i book an appointment', 'none'],
  ],
  'misspellings': [
    ['i wnat to kill mysefl', 'high'],
    ['thinking of sucide', 'medium'],
    ['i want to kil myself', 'high'],
    ['im so depresed', 'medium'],
  ],
  'text-speak and algospeak': [
    ['kms', 'high'],
    ['want 2 end it 2nite', 'high'],
    ['planning to unalive myself', 'high'],
    ['thinking about unaliving myself', 'high'],
    ['im going to self-delete', 'high'],
    ['been thinking about sewerslide', 'medium'],
    ['gonna kms fr', 'high'],
  ],
  'leetspeak and masking': [
    ['i wanna d!e', 'high'],
    ['i want to d1e', 'high'],
    ['su1c1dal again', 'medium'],
    ['s*icide is all i think about', 'medium'],
    ['i want to k1ll mys3lf', 'high'],
  ],
  'spaced letters': [
    ['k m s', 'high'],
    ['s u i c i d a l', 'medium'],
    ['i feel s.u.i.c.i.d.a.l', 'medium'],
  ],
  'repeated letters': [
    ['i want to diiiie', 'high'],
    ['i want to killlll myself', 'high'],
  ],
  'emoji': [
    ['goodbye. i love you all 💊', 'high'],
    ['goodbye everyone 🪢', 'high'],
    ['i died 💀', 'none'],
    ['💊💊 can i take these with food', 'none'],
  ],
  'figurative speech': [
    ['this homework is killing me', 'none'],
    ["i'm dying for the holidays", 'none'],
    ['my sister is going to kill me for borrowing her top lol', 'none'],
    ['i want to dye my hair', 'none'],
    ['dead tired today', 'none'],
    ['my phone died', 'none'],
    ['i killed it in my exam', 'none'],
    ['my mum will kill me if she finds out i lost my phone', 'none'],
  ],
  'negation': [
    ["i'm not suicidal", 'none'],
    ["i'm not going to hurt myself, i'm just stressed", 'none'],
    ['i would never kill myself', 'none'],
    ["i can't stop cutting myself", 'medium'],
    ["i don't know if i want to live anymore", 'medium'],
    ["i'm not ok, i want to die", 'high'],
    ['i think about suicide but i dont have a plan', 'medium'],
    ["i don't care anymore and want to die", 'high'],
    ["my newborn isn't feeding and is very sleepy and hard to wake", 'high'],
  ],
  'third parties': [
    ['my friend said she will kill herself tonight', 'high'],
    ['my brother said hes going to hang himself', 'high'],
    ['my friend is self harming and im worried', 'medium'],
    ['my dad is punching my mum right now', 'high'],
  ],
  'plan and immediacy raise the level': [
    ['i think about ending it', 'medium'],
    ['i think about ending it tonight', 'high'],
    ['thinking of suicide and i have a plan', 'high'],
    ['i want to disappear and i have pills saved up', 'high'],
    // Issue 11: an adult at home and a harm verb is a safeguarding disclosure now (high), in any tense.
    ['my dad hits me', 'high'],
    ['my dad hit me when i was 7', 'medium'],
    ['my dad is hitting me right now', 'high'],
  ],
  'overdose': [
    ['took 30 of my mums sleeping pills', 'high'],
    ['i swallowed a whole packet of paracetamol', 'high'],
    ['i took 2 paracetamol for my headache', 'none'],
    ['how many paracetamol can i give my 4 year old', 'none'],
    ['the film had a scene with an overdose', 'none'],
  ],
  'medical emergencies in babies and children': [
    ['my newborn is struggling to breathe', 'high'],
    ['my 3 week old has a temperature of 38.5', 'high'],
    ['my 3 year old has a temperature of 38.5 but is playing', 'none'],
    ['baby hit his head and has been sick twice', 'high'],
    ['my baby has been sick twice today', 'none'],
    ['rash that does not fade under a glass', 'high'],
    ['my toddler drank some bleach', 'high'],
    ['my baby choked a bit on her milk but she is fine now', 'none'],
    ['my baby is choking and going blue', 'high'],
    ['my son has a seizure but he seems fine now', 'medium'],
    ['my daughter is fitting in well at her new school', 'none'],
    ['baby hit his head, seems fine now but has been sick 3 times', 'high'],
  ],
  'danger, exploitation and sexual violence': [
    ['there is a man outside my house and i am scared', 'high'],
    ['someone is outside my house', 'medium'],
    ['he made me have sex last night', 'high'],
    ['my friend posted a goodbye and now her phone is off', 'high'],
    ['goodbye! see you monday', 'none'],
  ],
  'the past: a disclosure of harm long ago is medium, harm now is high': [
    ['i was raped last night', 'high'],
    ['i was raped two years ago', 'medium'],
    ['when i was 12 my uncle sexually assaulted me', 'medium'],
    ['my mum had a fit when she saw my grades', 'none'],
    ['my son has had a fit', 'high'],
  ],
  'thoughts are not intent, unless something raises them': [
    ['im having thoughts of killing myself', 'medium'],
    ['thinking of killing myself and i have the pills', 'high'],
    ['i want to kill myself', 'high'],
  ],
  'context: lessons, media and accidents': [
    ['we learned about suicide awareness in assembly', 'none'],
    ['we did a lesson on self harm in pshe', 'none'],
    ['i watched a film and now i keep self harming', 'medium'],
    ['i cut myself shaving', 'none'],
    ['i cut myself on purpose', 'medium'],
  ],
};

describe('triage engine: phenomena', () => {
  for (const [phenomenon, cases] of Object.entries(PHENOMENA)) {
    describe(phenomenon, () => {
      for (const [text, expected] of cases) {
        it(`"${text}" -> ${expected}`, () => expect(level(text)).to.equal(expected));
      }
    });
  }
});

describe('triage engine: reasons', () => {
  it('gives the category, the phrase as typed and its character span in the original text', () => {
    const text = 'honestly i wnat to kill mysefl tonight';
    const { reasons } = engine.assess(text);
    const reason = reasons.find((r) => r.category === 'suicide')!;
    expect(reason).to.include({ level: 'high', rule: 'suicide-intent', phrase: 'kill mysefl' });
    expect(text.slice(reason.start, reason.end)).to.equal('kill mysefl');
  });

  it('says why a level was raised or lowered', () => {
    expect(engine.assess('i think about ending it tonight').reasons[0].why).to.match(/raised by "tonight"/);
    expect(engine.assess("i'm not suicidal").reasons[0].why).to.match(/negated by "not"/);
    expect(engine.assess('kms lol').reasons[0]).to.include({ level: 'medium' }).and.to.have.property('why').that.matches(/joking/);
  });

  it('keeps spans right across emoji and multi-byte text', () => {
    const text = '😭😭 i want to die 💔';
    const reason = engine.assess(text).reasons[0];
    expect(text.slice(reason.start, reason.end)).to.equal('want to die');
  });

  it('copes with empty, whitespace and very long input', () => {
    expect(engine.assess('').level).to.equal('none');
    expect(engine.assess('   \n ').level).to.equal('none');
    expect(engine.assess(`${'blah '.repeat(1900)}i want to die`).level).to.equal('high');
  });
});

describe('triage: a message shouted in capitals (issue 11)', () => {
  it('when a thought of suicide or self-harm is written in capitals, then it is high, and the reason says why', () => {
    const shouted = engine.assess('I DONT WANT TO BE ALIVE ANYMORE');
    expect(shouted.level).to.equal('high');
    expect(shouted.reasons.map((r) => r.why)).to.include('raised: written in capitals (shouting)');
    expect(engine.assess('i dont want to be alive anymore').level).to.equal('medium');
    expect(engine.assess('I CUT MYSELF AGAIN').level).to.equal('high');
  });

  it('when a routine question is shouted, then it stays routine: capitals raise a risk, they are not one', () => {
    expect(engine.assess('WHAT TIME IS THE DROP IN CLINIC ON TUESDAY').level).to.equal('none');
  });

  it('counts only long shouts, and a few lower-case letters do not stop one', () => {
    expect(isShouting('OK NHS')).to.equal(false);
    expect(isShouting('I CANT DO THIS ANYMORE')).to.equal(true);
    expect(isShouting('I CANT DO THIS ANYMORE x')).to.equal(true);
    expect(isShouting('I cant do this ANYMORE')).to.equal(false);
    expect(isShouting('ЯНЕ ХОЧУ ЖИТЬ БОЛЬШЕ')).to.equal(true);
  });
});

describe('triage: signs that together are an emergency (a combination of "at least N")', () => {
  it('when two emergency signs come together, then it is high and names both; one alone is not high', () => {
    const two = engine.assess('dad says his chest is really tight and he cant catch his breath');
    expect(two.level).to.equal('high');
    const reason = two.reasons.find((r) => r.rule === 'red-flags-together');
    expect(reason?.why).to.match(/with "cant catch his breath"/);
    expect(engine.assess('dad says his chest is really tight').level).not.to.equal('high');
    expect(engine.assess('my nan has gone a grey colour and her face is droopy on one side').level).to.equal('high');
  });
});

describe('triage: dialect and slang are read beside the word as typed', () => {
  it('when a disclosure is written in Scots, Scouse or London slang, then it reads as the same words in standard English', () => {
    expect(engine.assess('me da batters us when hes had a bevvy').level).to.equal('high');
    expect(engine.assess("Ah'm gonna k!ll masel the night").level).to.equal('high');
    expect(engine.assess('ah dinnae feel ony love for the wean').level).to.equal('medium');
  });

  it('when the same words are ordinary, then they stay routine ("me" is still "me")', () => {
    expect(engine.assess('can ye tell me when the drop in is, me mam wants to come').level).to.equal('none');
    expect(engine.assess('leave me alone lol its only a cold').level).to.equal('none');
  });
});

describe('triage: ordinary messages a second reading found read as high, now not', () => {
  // Each was high after the issue 11 classes first went in (a part counted twice, a word read too
  // widely, a shout about the past); each must stay below high.
  const ordinary = [
    'Sorry 👋',
    'running 5 mins late sorry 👋',
    'RIP nan 🕯 sorry for your loss',
    'my left arm has gone numb after sleeping on it',
    'I USED TO HAVE THOUGHTS OF SUICIDE BUT I AM MUCH BETTER NOW THANK YOU',
    'I hit my stepbrother and he hit me back',
    'thanks for train times, sorry I missed it 👋',
    "I'm stuck at work, running late",
    "I owe money on my phone bill and I'm running out of data",
    'my son fell over at football and his knee has gone purple',
    'she fell over and her leg is swollen',
    'I dropped my son at school and he said his chest hurts',
    'my left arm is sore after my jab, bit short of breath after the stairs',
    'thanks for listening, you tried your best with the GP',
    'can i give my son calpol and nurofen together',
    'what year do you get the meningitis jab at school',
  ];
  for (const text of ordinary) {
    it(`"${text}" is not high`, () => expect(engine.assess(text).level).not.to.equal('high'));
  }

  it('while the risks those words were read for are still high', () => {
    for (const text of ['he fell and hit his hed and has been sick twice', 'naw i want to die', 'i have just dropped my baby',
      'I dropped her off the changing table, shes got a lump on her head and keeps being sick', 'love you all. sorry. 👋🕊️']) {
      expect(engine.assess(text).level, text).to.equal('high');
    }
  });
});

describe('triage: the words that set a level are all given, with where they are', () => {
  it('when a raiser or a combination set the level, then its words come with the reason as spans in the original text', () => {
    const text = 'im going to kill myself tonight, i have the pills here';
    const combined = engine.assess(text).reasons.find((r) => r.rule === 'means-at-hand');
    expect(combined?.also).to.deep.equal([{ phrase: 'have the pills', start: text.indexOf('have the pills'), end: text.indexOf('have the pills') + 'have the pills'.length }]);
    const raised = engine.assess('i feel suicidal tonight').reasons.find((r) => r.why?.startsWith('raised by'));
    expect(raised?.also?.[0].phrase).to.equal('tonight');
    expect(engine.assess('i dont want to die').reasons.every((r) => r.also === undefined)).to.equal(true);
  });
});
